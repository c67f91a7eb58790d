package dev.anvil.cli.serve;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads predict, classify and KServe infer bodies straight into one {@code float[]} of instances (normalised as
 * the model was trained), checking every instance's shape against the signature: no JSON tree is built.
 */
final class RequestParser {
    /** Deepest nesting of lists accepted in a tensor value. */
    private static final int MAX_DEPTH = 16;

    /** Instances read from a request: {@code n} rows of {@code featureSize} values, and how they were given. */
    record Input(float[] x, int n, boolean columnar, String id) {
    }

    private RequestParser() {
    }

    /** TensorFlow Serving {@code :predict}: {@code {"instances": [...]}} (row) or {@code {"inputs": ...}} (columnar). */
    static Input predict(byte[] body, int length, Signature sig) {
        JsonScanner s = new JsonScanner(body, length);
        s.expect('{');
        Input found = null;
        boolean rows = false;
        boolean cols = false;
        if (!s.consume('}')) {
            do {
                String key = s.readString();
                s.expect(':');
                switch (key) {
                    case "signature_name" -> checkSignatureName(s);
                    case "instances" -> {
                        rows = true;
                        checkNotBoth(rows, cols);
                        found = instances(s, sig, "instances");
                    }
                    case "inputs" -> {
                        cols = true;
                        checkNotBoth(rows, cols);
                        found = columnar(s, sig);
                    }
                    default -> s.skipValue(); // TF Serving ignores unknown fields too
                }
            } while (s.consume(','));
            s.expect('}');
        }
        s.expectEnd();
        if (found == null) {
            throw HttpError.badRequest("the body needs \"instances\" (row format) or \"inputs\" (columnar format)");
        }
        return found;
    }

    /** TensorFlow Serving {@code :classify}: {@code {"examples": [...]}}, each example an object keyed by input name or a list. */
    static Input classify(byte[] body, int length, Signature sig) {
        JsonScanner s = new JsonScanner(body, length);
        s.expect('{');
        Input found = null;
        if (!s.consume('}')) {
            do {
                String key = s.readString();
                s.expect(':');
                switch (key) {
                    case "signature_name" -> checkSignatureName(s);
                    case "examples" -> found = instances(s, sig, "examples");
                    default -> s.skipValue(); // "context" and others: this server's models take no shared features
                }
            } while (s.consume(','));
            s.expect('}');
        }
        s.expectEnd();
        if (found == null) {
            throw HttpError.badRequest("the body needs \"examples\": [...]");
        }
        return found;
    }

    /** KServe v2 {@code /infer}: {@code {"id": ..., "inputs": [{"name", "shape", "datatype", "data"}], "outputs": [...]}}. */
    static Input infer(byte[] body, int length, Signature sig) {
        JsonScanner s = new JsonScanner(body, length);
        s.expect('{');
        Input found = null;
        String id = null;
        if (!s.consume('}')) {
            do {
                String key = s.readString();
                s.expect(':');
                switch (key) {
                    case "id" -> id = s.readString();
                    case "inputs" -> {
                        s.expect('[');
                        if (s.consume(']')) {
                            throw HttpError.badRequest("\"inputs\" is empty; the model takes '" + sig.inputName() + "'");
                        }
                        found = v2Input(s, sig);
                        if (s.consume(',')) {
                            throw HttpError.badRequest("\"inputs\" holds more than one tensor; the model takes only '"
                                    + sig.inputName() + "'");
                        }
                        s.expect(']');
                    }
                    case "outputs" -> checkV2Outputs(s, sig);
                    default -> s.skipValue();
                }
            } while (s.consume(','));
            s.expect('}');
        }
        s.expectEnd();
        if (found == null) {
            throw HttpError.badRequest("the body needs \"inputs\": [{\"name\": \"" + sig.inputName()
                    + "\", \"shape\": [...], \"datatype\": \"FP32\", \"data\": [...]}]");
        }
        return new Input(found.x(), found.n(), true, id);
    }

    private static void checkNotBoth(boolean rows, boolean cols) {
        if (rows && cols) {
            throw HttpError.badRequest("the body has both \"instances\" and \"inputs\"; use one: \"instances\" (row format) "
                    + "or \"inputs\" (columnar format)");
        }
    }

    private static void checkSignatureName(JsonScanner s) {
        String name = s.readString();
        if (!name.isEmpty() && !name.equals(Signature.DEFAULT_SIGNATURE)) {
            throw HttpError.badRequest("unknown signature_name '" + name + "'; this model has only '"
                    + Signature.DEFAULT_SIGNATURE + "'");
        }
    }

    private static Input instances(JsonScanner s, Signature sig, String field) {
        if (s.peek() != '[') {
            throw HttpError.badRequest("\"" + field + "\" must be a list, found " + s.describeNext());
        }
        s.expect('[');
        FloatBuf out = new FloatBuf(sig.featureSize() * 4);
        Tracker t = new Tracker();
        int n = 0;
        if (!s.consume(']')) {
            do {
                int before = out.size;
                if (s.peek() == '{') {
                    s.expect('{');
                    boolean seen = false;
                    if (!s.consume('}')) {
                        do {
                            String key = s.readString();
                            s.expect(':');
                            if (!key.equals(sig.inputName())) {
                                throw HttpError.badRequest(field + "[" + n + "]: unknown input '" + key + "'; the model's input is '"
                                        + sig.inputName() + "'");
                            }
                            t.reset();
                            nested(s, out, t, 0, field, n);
                            seen = true;
                        } while (s.consume(','));
                        s.expect('}');
                    }
                    if (!seen) {
                        throw HttpError.badRequest(field + "[" + n + "] has no '" + sig.inputName() + "'");
                    }
                } else {
                    t.reset();
                    nested(s, out, t, 0, field, n);
                }
                checkInstance(t, out.size - before, sig, field + "[" + n + "]");
                n++;
            } while (s.consume(','));
            s.expect(']');
        }
        if (n == 0) {
            throw HttpError.badRequest("\"" + field + "\" is empty; send at least one instance");
        }
        return new Input(normalize(out.trimmed(), sig), n, false, null);
    }

    private static Input columnar(JsonScanner s, Signature sig) {
        FloatBuf out = new FloatBuf(sig.featureSize() * 4);
        Tracker t = new Tracker();
        if (s.peek() == '{') {
            s.expect('{');
            boolean seen = false;
            if (!s.consume('}')) {
                do {
                    String key = s.readString();
                    s.expect(':');
                    if (!key.equals(sig.inputName())) {
                        throw HttpError.badRequest("inputs: unknown input '" + key + "'; the model's input is '" + sig.inputName() + "'");
                    }
                    nested(s, out, t, 0, "inputs", 0);
                    seen = true;
                } while (s.consume(','));
                s.expect('}');
            }
            if (!seen) {
                throw HttpError.badRequest("inputs has no '" + sig.inputName() + "'");
            }
        } else {
            nested(s, out, t, 0, "inputs", 0);
        }
        int[] shape = t.shape();
        if (shape.length == 0 || shape[0] == 0) {
            throw HttpError.badRequest("\"inputs\" is empty; send a batch of at least one instance");
        }
        int n = shape[0];
        int[] rest = Arrays.copyOfRange(shape, 1, shape.length);
        if (!fits(rest, sig)) {
            throw HttpError.badRequest("inputs has shape " + Arrays.toString(shape) + "; the model's input '" + sig.inputName()
                    + "' takes [n] + " + sig.describeInput());
        }
        return new Input(normalize(out.trimmed(), sig), n, true, null);
    }

    private static Input v2Input(JsonScanner s, Signature sig) {
        s.expect('{');
        String name = null;
        String datatype = null;
        long[] shape = null;
        FloatBuf out = null;
        if (!s.consume('}')) {
            do {
                String key = s.readString();
                s.expect(':');
                switch (key) {
                    case "name" -> name = s.readString();
                    case "datatype" -> datatype = s.readString();
                    case "shape" -> {
                        List<Long> dims = new ArrayList<>();
                        s.expect('[');
                        if (!s.consume(']')) {
                            do {
                                dims.add(s.readLong("shape"));
                            } while (s.consume(','));
                            s.expect(']');
                        }
                        shape = dims.stream().mapToLong(Long::longValue).toArray();
                    }
                    case "data" -> {
                        out = new FloatBuf(sig.featureSize() * 4);
                        nested(s, out, new Tracker(), 0, "data", 0);
                    }
                    default -> s.skipValue();
                }
            } while (s.consume(','));
            s.expect('}');
        }
        if (name == null || !name.equals(sig.inputName())) {
            throw HttpError.badRequest("inputs[0].name is " + (name == null ? "missing" : "'" + name + "'") + "; the model's input is '"
                    + sig.inputName() + "'");
        }
        if (datatype == null || !(datatype.equals("FP32") || datatype.equals("FP64"))) {
            throw HttpError.badRequest("inputs[0].datatype is " + (datatype == null ? "missing" : "'" + datatype + "'")
                    + "; the model takes FP32 (FP64 is accepted and converted)");
        }
        if (shape == null || out == null) {
            throw HttpError.badRequest("inputs[0] needs \"shape\" and \"data\"");
        }
        long total = 1;
        for (long d : shape) {
            total = d > Integer.MAX_VALUE ? Long.MAX_VALUE : Math.min(Long.MAX_VALUE / 2, total * d);
        }
        int[] rest = new int[Math.max(0, shape.length - 1)];
        for (int i = 1; i < shape.length; i++) {
            rest[i - 1] = (int) Math.min(Integer.MAX_VALUE, shape[i]);
        }
        if (shape.length == 0 || shape[0] == 0 || shape[0] > Integer.MAX_VALUE || !fits(rest, sig)) {
            throw HttpError.badRequest("inputs[0].shape is " + Arrays.toString(shape) + "; the model's input '" + sig.inputName()
                    + "' takes [n] + " + sig.describeInput() + " with n at least 1");
        }
        if (total != out.size) {
            throw HttpError.badRequest("inputs[0].data holds " + out.size + " values; shape " + Arrays.toString(shape) + " needs "
                    + total);
        }
        return new Input(normalize(out.trimmed(), sig), (int) shape[0], true, null);
    }

    private static void checkV2Outputs(JsonScanner s, Signature sig) {
        s.expect('[');
        if (!s.consume(']')) {
            do {
                s.expect('{');
                if (!s.consume('}')) {
                    do {
                        String key = s.readString();
                        s.expect(':');
                        if (key.equals("name")) {
                            String n = s.readString();
                            if (!n.equals(sig.outputName())) {
                                throw HttpError.badRequest("outputs: unknown output '" + n + "'; the model's output is '"
                                        + sig.outputName() + "'");
                            }
                        } else {
                            s.skipValue();
                        }
                    } while (s.consume(','));
                    s.expect('}');
                }
            } while (s.consume(','));
            s.expect(']');
        }
    }

    /** A shape fits the model's input when it is the feature shape, or the flat feature count. */
    private static boolean fits(int[] shape, Signature sig) {
        return Arrays.equals(shape, sig.featureShape()) || (shape.length == 1 && shape[0] == sig.featureSize());
    }

    private static void checkInstance(Tracker t, int values, Signature sig, String where) {
        int[] shape = t.shape();
        if (values != sig.featureSize() || !(fits(shape, sig) || (shape.length == 0 && sig.featureSize() == 1))) {
            throw HttpError.badRequest(where + " has shape " + Arrays.toString(shape) + " (" + values + " values); the model's input '"
                    + sig.inputName() + "' takes " + sig.describeInput());
        }
    }

    /** Reads a number or a nested list of numbers, checking that it is rectangular. */
    private static void nested(JsonScanner s, FloatBuf out, Tracker t, int depth, String field, int index) {
        int c = s.peek();
        if (c == '[') {
            if (depth >= MAX_DEPTH) {
                throw HttpError.badRequest(field + "[" + index + "] nests lists deeper than " + MAX_DEPTH);
            }
            s.expect('[');
            int count = 0;
            if (!s.consume(']')) {
                if ((t.leaf == -1 || t.leaf == depth + 1) && s.nextIsNumber()) {
                    // the hot case, a list of numbers: one loop instead of a recursive call per number
                    t.leaf = depth + 1;
                    do {
                        out.add((float) s.readNumber());
                        count++;
                    } while (s.consumeCommaBeforeNumber());
                    while (s.consume(',')) { // a list or another value after the numbers: the general path's error
                        nested(s, out, t, depth + 1, field, index);
                        count++;
                    }
                } else {
                    do {
                        nested(s, out, t, depth + 1, field, index);
                        count++;
                    } while (s.consume(','));
                }
                s.expect(']');
            }
            if (t.dims[depth] == -1) {
                t.dims[depth] = count;
            } else if (t.dims[depth] != count) {
                throw HttpError.badRequest(field + (field.equals("instances") || field.equals("examples") ? "[" + index + "]" : "")
                        + " is ragged: lists at depth " + depth + " have " + t.dims[depth] + " and " + count + " elements");
            }
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            if (t.leaf == -1) {
                t.leaf = depth;
            } else if (t.leaf != depth) {
                throw HttpError.badRequest(field + " mixes numbers and lists at the same level (byte " + s.position() + ")");
            }
            out.add((float) s.readNumber());
        } else {
            throw HttpError.badRequest(field + (field.equals("instances") || field.equals("examples") ? "[" + index + "]" : "")
                    + " holds " + s.describeNext() + " at byte " + s.position() + "; the model takes numbers (DT_FLOAT)");
        }
    }

    private static float[] normalize(float[] x, Signature sig) {
        double[] n = sig.normalize();
        if (n != null) {
            double mean = n[0];
            double std = n[1];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) ((x[i] - mean) / std); // as anvil predict does, so both answer alike
            }
        }
        return x;
    }

    /** The shape of one nested value: list lengths by depth, and the depth where numbers sit. */
    private static final class Tracker {
        final int[] dims = new int[MAX_DEPTH + 1];
        int leaf = -1;

        Tracker() {
            reset();
        }

        void reset() {
            Arrays.fill(dims, -1);
            leaf = -1;
        }

        int[] shape() {
            int d = 0;
            int limit = leaf >= 0 ? leaf : MAX_DEPTH + 1;
            while (d < limit && dims[d] >= 0) {
                d++;
            }
            return Arrays.copyOf(dims, d);
        }
    }

    /** A growable float array. */
    private static final class FloatBuf {
        float[] a;
        int size;

        FloatBuf(int capacity) {
            a = new float[Math.max(16, capacity)];
        }

        void add(float v) {
            if (size == a.length) {
                a = Arrays.copyOf(a, a.length * 2);
            }
            a[size++] = v;
        }

        float[] trimmed() {
            return size == a.length ? a : Arrays.copyOf(a, size);
        }
    }
}
