package dev.anvil.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.anvil.Tensor;
import dev.anvil.nn.Sequential;
import dev.anvil.train.Checkpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * The interim model folder of {@code anvil train --out}: {@code model.json} (format, layer list, input shape,
 * class names, training metadata) and {@code weights.bin} (a {@link Checkpoint} of the state dict). The
 * model-format issue replaces it with safetensors packages.
 */
final class SavedModel {
    static final String FORMAT = "anvil-interim-1";

    private SavedModel() {
    }

    static void save(Path dir, Sequential model, JsonArray layers, int[] inputShape, String[] classes, JsonObject training) {
        try {
            Files.createDirectories(dir);
            Checkpoint.write(dir.resolve("weights.bin"), model.stateDict());
            JsonObject meta = new JsonObject();
            meta.addProperty("format", FORMAT);
            meta.add("layers", layers);
            JsonArray shape = new JsonArray();
            for (int d : inputShape) {
                shape.add(d);
            }
            meta.add("input_shape", shape);
            JsonArray names = new JsonArray();
            for (String c : classes) {
                names.add(c);
            }
            meta.add("classes", names);
            meta.add("training", training);
            Path tmp = Files.createTempFile(dir, "model.json", ".tmp");
            Files.writeString(tmp, Json.GSON.toJson(meta), StandardCharsets.UTF_8);
            try {
                Files.move(tmp, dir.resolve("model.json"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dir.resolve("model.json"), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the model to " + dir + ": " + e.getMessage(), e);
        }
    }

    /** A model loaded back, with its metadata. */
    record Loaded(Sequential model, JsonObject meta) {
    }

    static Loaded load(Path dir) {
        Path json = dir.resolve("model.json");
        if (!Files.isRegularFile(json)) {
            throw new IllegalArgumentException("--model " + dir + ": no model.json there (train one with anvil train --out " + dir + ")");
        }
        try {
            JsonObject meta = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
            if (!meta.has("format") || !FORMAT.equals(meta.get("format").getAsString())) {
                throw new IllegalArgumentException(json + ": field \"format\" is " + meta.get("format") + ", this Anvil reads " + FORMAT);
            }
            Sequential model = ModelSpec.build(meta.getAsJsonArray("layers"), 0);
            Map<String, Tensor> weights = Checkpoint.read(dir.resolve("weights.bin"));
            model.loadStateDict(weights);
            model.eval();
            return new Loaded(model, meta);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot load the model in " + dir + ": " + e.getMessage(), e);
        } catch (IllegalStateException | ClassCastException | NullPointerException e) {
            throw new IllegalArgumentException(json + ": malformed (" + e.getMessage() + ")", e);
        }
    }
}
