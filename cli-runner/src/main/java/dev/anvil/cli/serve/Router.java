package dev.anvil.cli.serve;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Maps requests to answers, independent of the HTTP library: TensorFlow Serving's REST API under {@code /v1},
 * the KServe v2 protocol under {@code /v2}, and {@code /healthz}, {@code /readyz}, {@code /metrics}. Names and
 * versions from the URL are checked against strict patterns and only ever looked up among the loaded models;
 * they never become file-system paths.
 */
final class Router {
    private static final Pattern VERSION = Pattern.compile("[1-9][0-9]{0,17}");

    /** A request: method, raw (still percent-encoded) path, the Authorization header, and the body. */
    record Request(String method, String rawPath, String authorization, byte[] body, int length) {
    }

    /** An answer, with the model and version it concerned (for metrics and the log; empty when none). */
    record Response(int status, byte[] body, String contentType, String model, String version) {
        static Response json(int status, byte[] body, String model, String version) {
            return new Response(status, body, "application/json", model, version);
        }
    }

    private final ModelServer server;

    Router(ModelServer server) {
        this.server = server;
    }

    Response handle(Request r) {
        Target t = new Target();
        try {
            return route(r, t);
        } catch (HttpError e) {
            return Response.json(e.status(), JsonOut.error(e.getMessage()), t.model, t.version);
        } catch (RuntimeException e) {
            server.log("internal error on " + r.method() + " " + r.rawPath() + ": " + e);
            return Response.json(500, JsonOut.error("internal error: " + e), t.model, t.version);
        }
    }

    /** What a request concerned, filled in as routing learns it. */
    private static final class Target {
        String model = "";
        String version = "";
    }

    private Response route(Request r, Target t) {
        String path = r.rawPath();
        if (path.startsWith("/v1/models/")) {
            return v1(r, path.substring("/v1/models/".length()), t);
        }
        if (path.startsWith("/v2")) {
            return v2(r, path, t);
        }
        return switch (path) {
            case "/healthz" -> {
                get(r);
                yield Response.json(200, "{\"status\": \"live\"}".getBytes(StandardCharsets.UTF_8), "", "");
            }
            case "/readyz" -> {
                get(r);
                String why = server.notReadyReason();
                yield why == null ? Response.json(200, "{\"status\": \"ready\"}".getBytes(StandardCharsets.UTF_8), "", "")
                        : Response.json(503, JsonOut.error("not ready: " + why), "", "");
            }
            case "/metrics" -> {
                get(r);
                yield new Response(200, server.metricsText().getBytes(StandardCharsets.UTF_8), "text/plain; version=0.0.4; charset=utf-8",
                        "", "");
            }
            default -> throw HttpError.notFound("no route " + r.method() + " " + path + "; see /v1/models/{name}, /v2/models/{name}, "
                    + "/healthz, /readyz, /metrics");
        };
    }

    // ------------------------------------------------------------------ TensorFlow Serving v1

    private Response v1(Request r, String rest, Target t) {
        String verb = null;
        int colon = rest.lastIndexOf(':');
        if (colon >= 0 && rest.indexOf('/', colon) < 0) {
            verb = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
        }
        List<String> seg = segments(rest);
        if (seg.isEmpty()) {
            throw HttpError.notFound("no model named in the path; use /v1/models/{name}");
        }
        String name = modelName(seg.get(0));
        t.model = name;
        Long version = null;
        String label = null;
        int i = 1;
        if (seg.size() >= 3 && seg.get(1).equals("versions")) {
            version = version(seg.get(2));
            t.version = seg.get(2);
            i = 3;
        } else if (seg.size() >= 3 && seg.get(1).equals("labels")) {
            label = labelName(seg.get(2));
            i = 3;
        }
        boolean metadata = false;
        if (i < seg.size() && seg.get(i).equals("metadata") && verb == null) {
            metadata = true;
            i++;
        }
        if (i != seg.size()) {
            throw HttpError.notFound("no route " + r.method() + " " + r.rawPath() + "; use /v1/models/{name}[/versions/{v}|/labels/{l}]"
                    + "[/metadata|:predict|:classify]");
        }
        ServedModel m = server.model(name);
        if (verb == null) {
            if (label != null && r.method().equals("PUT") && !metadata) {
                return moveLabel(r, m, label);
            }
            get(r);
            return metadata ? v1Metadata(m, version, label, t) : v1Status(m, version, label, t);
        }
        return switch (verb) {
            case "predict", "classify" -> {
                post(r);
                yield infer(r, m, version, label, t, verb.equals("predict") ? Kind.PREDICT : Kind.CLASSIFY);
            }
            case "reload" -> {
                post(r);
                if (version != null || label != null) {
                    throw HttpError.notFound(":reload applies to a whole model: POST /v1/models/" + name + ":reload");
                }
                authorize(r);
                server.reload(m);
                yield v1Status(m, null, null, t);
            }
            default -> throw HttpError.notFound("unknown method ':" + verb + "'; use :predict, :classify or :reload");
        };
    }

    private Response v1Status(ServedModel m, Long version, String label, Target t) {
        List<ServedVersion> list = new ArrayList<>();
        if (version != null || label != null) {
            Long v = label != null ? labelTarget(m, label) : version;
            ServedVersion sv = m.version(v);
            if (sv == null) {
                throw HttpError.notFound("version " + v + " of model " + m.name() + " is not known");
            }
            t.version = Long.toString(v);
            list.add(sv);
        } else {
            list = m.versions();
            if (list.isEmpty()) {
                throw HttpError.notFound("model " + m.name() + " has no versions in the repository yet");
            }
        }
        JsonOut o = new JsonOut(256).raw("{\"model_version_status\": [");
        for (int i = list.size() - 1, first = 1; i >= 0; i--, first = 0) {
            ServedVersion sv = list.get(i);
            o.raw(first == 1 ? "" : ", ").raw("{\"version\": ").str(Long.toString(sv.version)).raw(", \"state\": ")
                    .str(sv.state().name()).raw(", \"status\": {\"error_code\": ").str(sv.failed() ? "UNKNOWN" : "OK")
                    .raw(", \"error_message\": ").str(sv.error()).raw("}}");
        }
        return Response.json(200, o.raw("]}").bytes(), m.name(), t.version);
    }

    private static Long labelTarget(ServedModel m, String label) {
        Long v = m.labels().get(label);
        if (v == null) {
            throw HttpError.notFound("model " + m.name() + " has no label '" + label + "'");
        }
        return v;
    }

    private Response v1Metadata(ServedModel m, Long version, String label, Target t) {
        ServedVersion sv = m.acquire(version, label);
        try {
            t.version = Long.toString(sv.version);
            Signature sig = sv.signature();
            JsonOut o = new JsonOut(1024).raw("{\"model_spec\": {\"name\": ").str(m.name()).raw(", \"signature_name\": \"\", \"version\": ")
                    .str(t.version).raw("}, \"metadata\": {\"signature_def\": {\"signature_def\": {\"serving_default\": {\"inputs\": {");
            tfTensor(o, sig.inputName(), sig.meta().inputs().get(0).shape());
            o.raw("}, \"outputs\": {");
            tfTensor(o, sig.outputName(), sig.meta().outputs().get(0).shape());
            o.raw("}, \"method_name\": \"tensorflow/serving/predict\"}}}, \"class_labels\": [");
            List<String> labels = sig.classLabels();
            for (int i = 0; i < labels.size(); i++) {
                o.raw(i == 0 ? "" : ", ").str(labels.get(i));
            }
            return Response.json(200, o.raw("]}}").bytes(), m.name(), t.version);
        } finally {
            sv.release();
        }
    }

    private static void tfTensor(JsonOut o, String name, List<Integer> shape) {
        o.str(name).raw(": {\"dtype\": \"DT_FLOAT\", \"tensor_shape\": {\"dim\": [");
        for (int i = 0; i < shape.size(); i++) {
            o.raw(i == 0 ? "" : ", ").raw("{\"size\": ").str(Integer.toString(shape.get(i))).raw(", \"name\": \"\"}");
        }
        o.raw("], \"unknown_rank\": false}, \"name\": ").str(name).raw("}");
    }

    private Response moveLabel(Request r, ServedModel m, String label) {
        authorize(r);
        JsonScanner s = new JsonScanner(r.body(), r.length());
        Long version = null;
        s.expect('{');
        if (!s.consume('}')) {
            do {
                String key = s.readString();
                s.expect(':');
                if (key.equals("version")) {
                    // TF Serving clients send versions as numbers or as strings
                    String v = s.peek() == '"' ? s.readString() : Long.toString(s.readLong("version"));
                    version = version(v);
                } else {
                    s.skipValue();
                }
            } while (s.consume(','));
            s.expect('}');
        }
        s.expectEnd();
        if (version == null) {
            throw HttpError.badRequest("the body needs {\"version\": N}");
        }
        m.label(label, version);
        return Response.json(200, new JsonOut(128).raw("{\"model\": ").str(m.name()).raw(", \"label\": ").str(label)
                .raw(", \"version\": ").str(Long.toString(version)).raw("}").bytes(), m.name(), Long.toString(version));
    }

    private enum Kind { PREDICT, CLASSIFY, V2 }

    private Response infer(Request r, ServedModel m, Long version, String label, Target t, Kind kind) {
        ServedVersion sv = m.acquire(version, label);
        try {
            t.version = Long.toString(sv.version);
            Signature sig = sv.signature();
            Batcher b = sv.batcher();
            b.arriving();
            RequestParser.Input in;
            try {
                in = switch (kind) {
                    case PREDICT -> RequestParser.predict(r.body(), r.length(), sig);
                    case CLASSIFY -> RequestParser.classify(r.body(), r.length(), sig);
                    case V2 -> RequestParser.infer(r.body(), r.length(), sig);
                };
            } catch (RuntimeException e) {
                b.abandon();
                throw e;
            }
            float[] y = b.run(in.x(), in.n());
            int out = sig.outputSize();
            byte[] body = switch (kind) {
                case PREDICT -> {
                    JsonOut o = new JsonOut(16 + in.n() * out * 12).raw(in.columnar() ? "{\"outputs\": [" : "{\"predictions\": [");
                    for (int i = 0; i < in.n(); i++) {
                        o.raw(i == 0 ? "" : ",").row(y, i * out, out);
                    }
                    yield o.raw("]}").bytes();
                }
                case CLASSIFY -> classify(sig, y, in.n());
                case V2 -> {
                    JsonOut o = new JsonOut(128 + in.n() * out * 12).raw("{\"model_name\": ").str(m.name()).raw(", \"model_version\": ")
                            .str(t.version);
                    if (in.id() != null) {
                        o.raw(", \"id\": ").str(in.id());
                    }
                    o.raw(", \"outputs\": [{\"name\": ").str(sig.outputName()).raw(", \"datatype\": \"FP32\", \"shape\": [").num(in.n())
                            .raw(", ").num(out).raw("], \"data\": ").row(y, 0, y.length).raw("}]}");
                    yield o.bytes();
                }
            };
            return Response.json(200, body, m.name(), t.version);
        } finally {
            sv.release();
        }
    }

    /** TF Serving's classify result: per example, [label, score] pairs, best first (scores are softmax probabilities). */
    private static byte[] classify(Signature sig, float[] logits, int n) {
        int c = sig.outputSize();
        List<String> labels = sig.classLabels();
        JsonOut o = new JsonOut(64 + n * c * 32).raw("{\"results\": [");
        double[] p = new double[c];
        Integer[] order = new Integer[c];
        for (int i = 0; i < n; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < c; k++) {
                max = Math.max(max, logits[i * c + k]);
            }
            double sum = 0;
            for (int k = 0; k < c; k++) {
                p[k] = Math.exp(logits[i * c + k] - max);
                sum += p[k];
                order[k] = k;
            }
            final double total = sum;
            Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
            o.raw(i == 0 ? "[" : ", [");
            for (int k = 0; k < c; k++) {
                int cls = order[k];
                o.raw(k == 0 ? "[" : ", [").str(cls < labels.size() ? labels.get(cls) : Integer.toString(cls)).raw(", ")
                        .num((float) (p[cls] / total)).raw("]");
            }
            o.raw("]");
        }
        return o.raw("]}").bytes();
    }

    // ------------------------------------------------------------------ KServe v2

    private Response v2(Request r, String path, Target t) {
        switch (path) {
            case "/v2", "/v2/" -> {
                get(r);
                return Response.json(200, ("{\"name\": \"anvil\", \"version\": \"" + server.version()
                        + "\", \"extensions\": []}").getBytes(StandardCharsets.UTF_8), "", "");
            }
            case "/v2/health/live" -> {
                get(r);
                return Response.json(200, "{\"live\": true}".getBytes(StandardCharsets.UTF_8), "", "");
            }
            case "/v2/health/ready" -> {
                get(r);
                boolean ready = server.notReadyReason() == null;
                return Response.json(ready ? 200 : 503, ("{\"ready\": " + ready + "}").getBytes(StandardCharsets.UTF_8), "", "");
            }
            default -> {
            }
        }
        if (!path.startsWith("/v2/models/")) {
            throw HttpError.notFound("no route " + r.method() + " " + path);
        }
        List<String> seg = segments(path.substring("/v2/models/".length()));
        if (seg.isEmpty()) {
            throw HttpError.notFound("no model named in the path; use /v2/models/{name}");
        }
        String name = modelName(seg.get(0));
        t.model = name;
        Long version = null;
        int i = 1;
        if (seg.size() >= 3 && seg.get(1).equals("versions")) {
            version = version(seg.get(2));
            t.version = seg.get(2);
            i = 3;
        }
        String action = i < seg.size() ? seg.get(i++) : "";
        if (i != seg.size() || !(action.isEmpty() || action.equals("ready") || action.equals("infer"))) {
            throw HttpError.notFound("no route " + r.method() + " " + path + "; use /v2/models/{name}[/versions/{v}][/ready|/infer]");
        }
        ServedModel m = server.model(name);
        return switch (action) {
            case "infer" -> {
                post(r);
                yield infer(r, m, version, null, t, Kind.V2);
            }
            case "ready" -> {
                get(r);
                boolean ready;
                try {
                    m.acquire(version, null).release();
                    ready = true;
                } catch (HttpError e) {
                    ready = false;
                }
                yield Response.json(ready ? 200 : 503, ("{\"name\": \"" + name + "\", \"ready\": " + ready + "}")
                        .getBytes(StandardCharsets.UTF_8), name, t.version);
            }
            default -> {
                get(r);
                ServedVersion sv = m.acquire(version, null);
                try {
                    Signature sig = sv.signature();
                    JsonOut o = new JsonOut(512).raw("{\"name\": ").str(name).raw(", \"versions\": [");
                    boolean first = true;
                    for (ServedVersion v : m.versions()) {
                        if (v.state() == ServedVersion.State.AVAILABLE) {
                            o.raw(first ? "" : ", ").str(Long.toString(v.version));
                            first = false;
                        }
                    }
                    o.raw("], \"platform\": \"anvil\", \"inputs\": [");
                    v2Tensor(o, sig.inputName(), sig.meta().inputs().get(0).shape());
                    o.raw("], \"outputs\": [");
                    v2Tensor(o, sig.outputName(), sig.meta().outputs().get(0).shape());
                    yield Response.json(200, o.raw("]}").bytes(), name, Long.toString(sv.version));
                } finally {
                    sv.release();
                }
            }
        };
    }

    private static void v2Tensor(JsonOut o, String name, List<Integer> shape) {
        o.raw("{\"name\": ").str(name).raw(", \"datatype\": \"FP32\", \"shape\": [");
        for (int i = 0; i < shape.size(); i++) {
            o.raw(i == 0 ? "" : ", ").num(shape.get(i));
        }
        o.raw("]}");
    }

    // ------------------------------------------------------------------ helpers

    private void authorize(Request r) {
        byte[] token = server.token();
        if (token == null) {
            throw new HttpError(403, "management routes are disabled: start the server with --token-file FILE");
        }
        String h = r.authorization();
        byte[] given = h != null && h.startsWith("Bearer ") ? h.substring(7).trim().getBytes(StandardCharsets.UTF_8) : new byte[0];
        if (!MessageDigest.isEqual(token, given)) { // constant time: no timing oracle on the token
            throw new HttpError(401, "management routes need the header 'Authorization: Bearer <token>' with the token of --token-file");
        }
    }

    private static void get(Request r) {
        if (!r.method().equals("GET") && !r.method().equals("HEAD")) {
            throw new HttpError(405, r.method() + " is not allowed on " + r.rawPath() + "; use GET");
        }
    }

    private static void post(Request r) {
        if (!r.method().equals("POST")) {
            throw new HttpError(405, r.method() + " is not allowed on " + r.rawPath() + "; use POST");
        }
    }

    private static List<String> segments(String rest) {
        List<String> out = new ArrayList<>();
        for (String s : rest.split("/", -1)) {
            out.add(URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8));
        }
        if (!out.isEmpty() && out.get(out.size() - 1).isEmpty()) {
            out.remove(out.size() - 1);
        }
        return out;
    }

    private static String modelName(String s) {
        if (!ModelConfig.NAME.matcher(s).matches()) {
            throw HttpError.badRequest("'" + printable(s) + "' is not a model name (letters, digits, '.', '_' and '-', not starting with "
                    + "'.', '_' or '-')");
        }
        return s;
    }

    private static String labelName(String s) {
        if (!ModelConfig.LABEL.matcher(s).matches()) {
            throw HttpError.badRequest("'" + printable(s) + "' is not a label (letters, digits and '_')");
        }
        return s;
    }

    private static long version(String s) {
        if (!VERSION.matcher(s).matches()) {
            throw HttpError.badRequest("'" + printable(s) + "' is not a version (a positive integer)");
        }
        return Long.parseLong(s);
    }

    private static String printable(String s) {
        String p = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return p.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
