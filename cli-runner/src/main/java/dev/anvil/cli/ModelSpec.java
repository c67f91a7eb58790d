package dev.anvil.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.anvil.nn.AvgPool2d;
import dev.anvil.nn.BatchNorm1d;
import dev.anvil.nn.BatchNorm2d;
import dev.anvil.nn.Conv2d;
import dev.anvil.nn.Dropout;
import dev.anvil.nn.Flatten;
import dev.anvil.nn.GELU;
import dev.anvil.nn.LayerNorm;
import dev.anvil.nn.Linear;
import dev.anvil.nn.MaxPool2d;
import dev.anvil.nn.Module;
import dev.anvil.nn.ReLU;
import dev.anvil.nn.Sequential;
import dev.anvil.nn.Sigmoid;
import dev.anvil.nn.Tanh;
import dev.anvil.quantize.QuantizedConv2d;
import dev.anvil.quantize.QuantizedLinear;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A model as a JSON list of layers, e.g. {@code [{"type": "flatten"}, {"type": "linear", "in": 784, "out": 256},
 * {"type": "relu"}, ...]}. {@code mlp} and {@code cnn} are the built-in lists for 28x28 images. Saved in
 * {@code model.json} so a model can be rebuilt without code.
 */
final class ModelSpec {
    private ModelSpec() {
    }

    /** The layer list for {@code --model}: mlp, cnn, or a JSON file. */
    static JsonArray layers(String model, int inputs, int classes) {
        return switch (model) {
            case "mlp" -> parse("[{\"type\":\"flatten\"},{\"type\":\"linear\",\"in\":" + inputs + ",\"out\":256},{\"type\":\"relu\"},"
                    + "{\"type\":\"linear\",\"in\":256,\"out\":128},{\"type\":\"relu\"},{\"type\":\"linear\",\"in\":128,\"out\":"
                    + classes + "}]", "mlp");
            case "cnn" -> parse("[{\"type\":\"conv2d\",\"in\":1,\"out\":32,\"kernel\":3,\"padding\":1},{\"type\":\"relu\"},"
                    + "{\"type\":\"maxpool2d\",\"kernel\":2},{\"type\":\"conv2d\",\"in\":32,\"out\":64,\"kernel\":3,\"padding\":1},"
                    + "{\"type\":\"relu\"},{\"type\":\"maxpool2d\",\"kernel\":2},{\"type\":\"flatten\"},"
                    + "{\"type\":\"linear\",\"in\":3136,\"out\":128},{\"type\":\"relu\"},{\"type\":\"linear\",\"in\":128,\"out\":"
                    + classes + "}]", "cnn");
            default -> {
                Path p = Path.of(model);
                try {
                    yield parse(Files.readString(p), p.toString());
                } catch (IOException e) {
                    throw new IllegalArgumentException("--model: cannot read " + p + " (" + e.getMessage()
                            + "); use mlp, cnn or a JSON file with a list of layers");
                }
            }
        };
    }

    static JsonArray parse(String json, String source) {
        JsonElement e;
        try {
            e = JsonParser.parseString(json);
        } catch (RuntimeException ex) {
            throw new IllegalArgumentException(source + ": not valid JSON: " + Main.oneLine(ex.getMessage()));
        }
        if (e.isJsonObject() && e.getAsJsonObject().has("layers")) {
            e = e.getAsJsonObject().get("layers");
        }
        if (!e.isJsonArray()) {
            throw new IllegalArgumentException(source + ": expected a JSON list of layers, e.g. [{\"type\": \"linear\", \"in\": 784, \"out\": 10}]");
        }
        return e.getAsJsonArray();
    }

    /** Builds the layers, initialised from {@code seed}. */
    static Sequential build(JsonArray layers, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<Module> out = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            if (!layers.get(i).isJsonObject()) {
                throw new IllegalArgumentException("model layer " + i + ": expected an object with a \"type\"");
            }
            JsonObject l = layers.get(i).getAsJsonObject();
            String type = str(l, "type", i);
            out.add(switch (type) {
                case "flatten" -> new Flatten();
                case "linear" -> new Linear(num(l, "in", i), num(l, "out", i), rng);
                case "relu" -> new ReLU();
                case "gelu" -> new GELU();
                case "tanh" -> new Tanh();
                case "sigmoid" -> new Sigmoid();
                case "conv2d" -> new Conv2d(num(l, "in", i), num(l, "out", i), num(l, "kernel", i), opt(l, "stride", 1),
                        opt(l, "padding", 0), rng);
                case "maxpool2d" -> new MaxPool2d(num(l, "kernel", i), opt(l, "stride", num(l, "kernel", i)));
                case "avgpool2d" -> new AvgPool2d(num(l, "kernel", i), opt(l, "stride", num(l, "kernel", i)));
                case "dropout" -> new Dropout(l.has("p") ? l.get("p").getAsDouble() : 0.5, rng.split());
                case "batchnorm1d" -> new BatchNorm1d(num(l, "features", i));
                case "batchnorm2d" -> new BatchNorm2d(num(l, "channels", i));
                case "layernorm" -> new LayerNorm(num(l, "features", i));
                case "linear_int8" -> new QuantizedLinear(num(l, "in", i), num(l, "out", i));
                case "conv2d_int8" -> new QuantizedConv2d(num(l, "in", i), num(l, "out", i), num(l, "kernel", i),
                        opt(l, "stride", 1), opt(l, "padding", 0));
                default -> throw new IllegalArgumentException("model layer " + i + ": unknown type '" + type + "' (known: flatten, "
                        + "linear, relu, gelu, tanh, sigmoid, conv2d, maxpool2d, avgpool2d, dropout, batchnorm1d, batchnorm2d, layernorm, linear_int8, conv2d_int8)");
            });
        }
        return new Sequential(out);
    }

    /**
     * {@code layers} with the widths of {@code model}'s layers (Linear and Conv2d in/out, BatchNorm features or
     * channels): the layer list of a model that structured pruning made smaller.
     */
    static JsonArray resized(JsonArray layers, Sequential model) {
        List<Module> mods = model.layers();
        if (mods.size() != layers.size()) {
            throw new IllegalArgumentException("model has " + mods.size() + " layers but its layer list " + layers.size());
        }
        JsonArray out = new JsonArray();
        for (int i = 0; i < layers.size(); i++) {
            JsonObject l = layers.get(i).getAsJsonObject().deepCopy();
            Module m = mods.get(i);
            if (m instanceof Linear lin) {
                l.addProperty("in", lin.inFeatures());
                l.addProperty("out", lin.outFeatures());
            } else if (m instanceof Conv2d c) {
                l.addProperty("in", c.inChannels());
                l.addProperty("out", c.outChannels());
            } else if (m instanceof BatchNorm1d b) {
                l.addProperty("features", b.channels());
            } else if (m instanceof BatchNorm2d b) {
                l.addProperty("channels", b.channels());
            }
            out.add(l);
        }
        return out;
    }

    private static String str(JsonObject l, String key, int i) {
        if (!l.has(key) || !l.get(key).isJsonPrimitive()) {
            throw new IllegalArgumentException("model layer " + i + ": missing \"" + key + "\"");
        }
        return l.get(key).getAsString();
    }

    private static int num(JsonObject l, String key, int i) {
        if (!l.has(key)) {
            throw new IllegalArgumentException("model layer " + i + " (" + l.get("type") + "): missing \"" + key + "\"");
        }
        try {
            return l.get(key).getAsInt();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("model layer " + i + ": \"" + key + "\" must be an integer, got " + l.get(key));
        }
    }

    private static int opt(JsonObject l, String key, int dflt) {
        return l.has(key) ? l.get(key).getAsInt() : dflt;
    }
}
