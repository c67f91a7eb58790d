package dev.anvil.format;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonPrimitive;
import dev.anvil.DType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The {@code model.json} of a model package: what the weights are, how to rebuild the model around them,
 * and how to call it.
 *
 * <pre>{@code
 * ModelJson m = ModelJson.parse(Path.of("model.json"), Files.readString(Path.of("model.json")));
 * int features = m.inputs().get(0).shape().get(1);
 * }</pre>
 *
 * @param formatVersion version of this file's layout; a reader refuses versions newer than {@link #FORMAT_VERSION}
 * @param architecture the layer list, each layer an object with its type and configuration
 * @param preprocessing for example {@code {"scale": 0.00392}}; an empty object when none
 * @param classLabels one label per output class; empty when the model is not a classifier
 * @param training dataset, epochs, final metrics, date, backend, seed; an empty object when unknown
 * @param weightsSha256 lower-case hex SHA-256 of {@code weights.safetensors}
 */
public record ModelJson(int formatVersion, String name, String version, JsonArray architecture, List<Io> inputs,
        List<Io> outputs, JsonObject preprocessing, List<String> classLabels, JsonObject training,
        String weightsSha256) {

    /** The newest {@code format_version} this Anvil reads and the one it writes. */
    public static final int FORMAT_VERSION = 1;

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    /** One input or output of the model: shapes use -1 for the batch dimension. */
    public record Io(String name, DType dtype, List<Integer> shape) {
        public Io {
            shape = List.copyOf(shape);
        }
    }

    public ModelJson {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        classLabels = List.copyOf(classLabels);
        architecture = architecture.deepCopy();
        preprocessing = preprocessing.deepCopy();
        training = training.deepCopy();
    }

    @Override
    public JsonArray architecture() {
        return architecture.deepCopy();
    }

    @Override
    public JsonObject preprocessing() {
        return preprocessing.deepCopy();
    }

    @Override
    public JsonObject training() {
        return training.deepCopy();
    }

    /** The same description with {@code sha256} as the weights' checksum. */
    public ModelJson withWeightsSha256(String sha256) {
        return new ModelJson(formatVersion, name, version, architecture, inputs, outputs, preprocessing, classLabels,
                training, sha256);
    }

    /** Pretty-printed JSON with snake_case keys. */
    public String toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("format_version", formatVersion);
        o.addProperty("name", name);
        o.addProperty("version", version);
        o.add("architecture", architecture.deepCopy());
        JsonObject sig = new JsonObject();
        sig.add("inputs", ios(inputs));
        sig.add("outputs", ios(outputs));
        o.add("signature", sig);
        o.add("preprocessing", preprocessing.deepCopy());
        JsonArray labels = new JsonArray();
        classLabels.forEach(labels::add);
        o.add("class_labels", labels);
        o.add("training", training.deepCopy());
        o.addProperty("weights_sha256", weightsSha256);
        return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(o) + "\n";
    }

    private static JsonArray ios(List<Io> list) {
        JsonArray a = new JsonArray();
        for (Io io : list) {
            JsonObject o = new JsonObject();
            o.addProperty("name", io.name());
            o.addProperty("dtype", io.dtype().name());
            JsonArray s = new JsonArray();
            io.shape().forEach(s::add);
            o.add("shape", s);
            a.add(o);
        }
        return a;
    }

    /**
     * Parses and checks {@code text}, the contents of {@code file}.
     *
     * @throws ModelFormatException naming the missing or mistyped field, or the too-new format version
     */
    public static ModelJson parse(Path file, String text) {
        JsonElement root;
        try {
            root = StrictJson.parse(file, text);
        } catch (JsonParseException e) {
            throw new ModelFormatException(file, null, -1, "not valid JSON: " + e.getMessage(), e);
        }
        Fields f = new Fields(file);
        JsonObject o = f.object(root, "(the document)");
        int formatVersion = f.integer(o, "format_version");
        if (formatVersion > FORMAT_VERSION || formatVersion < 1) {
            throw new ModelFormatException(file, null, -1, "format_version " + formatVersion
                    + " is not one this Anvil reads: it reads format version " + FORMAT_VERSION
                    + (formatVersion > FORMAT_VERSION ? "; upgrade Anvil to load this model" : ""));
        }
        String name = f.string(o, "name");
        String version = f.string(o, "version");
        JsonArray architecture = f.array(o.get("architecture"), "architecture");
        JsonObject sig = f.object(o.get("signature"), "signature");
        List<Io> inputs = f.ios(sig, "signature.inputs");
        List<Io> outputs = f.ios(sig, "signature.outputs");
        JsonObject preprocessing = o.has("preprocessing") ? f.object(o.get("preprocessing"), "preprocessing")
                : new JsonObject();
        List<String> labels = new ArrayList<>();
        if (o.has("class_labels")) {
            JsonArray a = f.array(o.get("class_labels"), "class_labels");
            for (int i = 0; i < a.size(); i++) {
                labels.add(f.stringValue(a.get(i), "class_labels[" + i + "]"));
            }
        }
        JsonObject training = o.has("training") ? f.object(o.get("training"), "training") : new JsonObject();
        String sha = f.string(o, "weights_sha256");
        if (!SHA256.matcher(sha).matches()) {
            throw new ModelFormatException(file, null, -1, "field 'weights_sha256' should be 64 lower-case hex digits, got '"
                    + sha + "'");
        }
        return new ModelJson(formatVersion, name, version, architecture, inputs, outputs, preprocessing, labels,
                training, sha);
    }

    /** Typed field access that names the field in every failure. */
    private record Fields(Path file) {
        private ModelFormatException wrong(String field, String expected, JsonElement got) {
            return new ModelFormatException(file, null, -1, "field '" + field + "' "
                    + (got == null ? "is missing" : "should be " + expected + " but is " + got));
        }

        JsonObject object(JsonElement e, String field) {
            if (e == null || !e.isJsonObject()) {
                throw wrong(field, "an object", e);
            }
            return e.getAsJsonObject();
        }

        JsonArray array(JsonElement e, String field) {
            if (e == null || !e.isJsonArray()) {
                throw wrong(field, "an array", e);
            }
            return e.getAsJsonArray();
        }

        String stringValue(JsonElement e, String field) {
            if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
                throw wrong(field, "a string", e);
            }
            return e.getAsString();
        }

        String string(JsonObject o, String field) {
            return stringValue(o.get(field), field);
        }

        int intValue(JsonElement e, String field) {
            if (e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
                JsonPrimitive p = e.getAsJsonPrimitive();
                try {
                    java.math.BigDecimal v = p.getAsBigDecimal();
                    if (v.precision() - v.scale() > 10) { // 1e999999999 must not be expanded to find out
                        throw wrong(field, "an integer", e);
                    }
                    return v.intValueExact();
                } catch (ArithmeticException | NumberFormatException x) {
                    throw wrong(field, "an integer", e);
                }
            }
            throw wrong(field, "an integer", e);
        }

        int integer(JsonObject o, String field) {
            return intValue(o.get(field), field);
        }

        List<Io> ios(JsonObject sig, String field) {
            String key = field.substring(field.indexOf('.') + 1);
            JsonArray a = array(sig.get(key), field);
            List<Io> out = new ArrayList<>();
            for (int i = 0; i < a.size(); i++) {
                String at = field + "[" + i + "]";
                JsonObject io = object(a.get(i), at);
                String name = stringValue(io.get("name"), at + ".name");
                String dt = stringValue(io.get("dtype"), at + ".dtype");
                DType dtype = SafetensorsHeader.dtypeOf(dt);
                if (dtype == null) {
                    throw wrong(at + ".dtype", "one of F32, F64, F16, BF16, I64, I32, I16, I8, U8, BOOL",
                            io.get("dtype"));
                }
                JsonArray s = array(io.get("shape"), at + ".shape");
                List<Integer> shape = new ArrayList<>();
                for (int d = 0; d < s.size(); d++) {
                    int v = intValue(s.get(d), at + ".shape[" + d + "]");
                    if (v < -1) {
                        throw wrong(at + ".shape[" + d + "]", "a size or -1 (the batch dimension)", s.get(d));
                    }
                    shape.add(v);
                }
                out.add(new Io(name, dtype, shape));
            }
            return out;
        }
    }
}
