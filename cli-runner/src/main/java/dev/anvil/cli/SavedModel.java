package dev.anvil.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.anvil.DType;
import dev.anvil.Tensor;
import dev.anvil.format.ModelFormatException;
import dev.anvil.format.ModelJson;
import dev.anvil.format.ModelPackage;
import dev.anvil.nn.Sequential;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The model packages of {@code anvil train --out} and {@code anvil eval --model}: {@code model.json} (layer list,
 * signature, preprocessing, class labels, training metadata, SHA-256 of the weights) and
 * {@code weights.safetensors}, written atomically by {@link ModelPackage}. Public for the model server
 * ({@code dev.anvil.cli.serve}), which loads every version through {@link #load(Path)}.
 *
 * <pre>{@code
 * SavedModel.Loaded m = SavedModel.load(Path.of("models/mnist/3"));
 * Tensor logits = m.model().forward(x);
 * }</pre>
 */
public final class SavedModel {
    private SavedModel() {
    }

    static void save(Path dir, Sequential model, JsonArray layers, int[] inputShape, String[] classes, JsonObject training) {
        save(dir, model, layers, inputShape, classes, training, false);
    }

    /** As above; with {@code sparse}, weights are stored sparse where that is smaller (pruned models). */
    static void save(Path dir, Sequential model, JsonArray layers, int[] inputShape, String[] classes, JsonObject training,
            boolean sparse) {
        List<Integer> in = new ArrayList<>();
        in.add(-1);
        for (int d : inputShape) {
            in.add(d);
        }
        JsonObject pre = new JsonObject();
        pre.addProperty("pixel_scale", 1.0 / 255);
        if (training.has("normalize")) {
            pre.add("normalize", training.get("normalize").deepCopy());
        }
        String name = dir.toAbsolutePath().getFileName() == null ? "model" : dir.toAbsolutePath().getFileName().toString();
        ModelJson meta = new ModelJson(ModelJson.FORMAT_VERSION, name, "1", layers,
                List.of(new ModelJson.Io("input", DType.F32, in)),
                List.of(new ModelJson.Io("logits", DType.F32, List.of(-1, classes.length))), pre, List.of(classes), training,
                null);
        try {
            Files.createDirectories(dir.toAbsolutePath().getParent());
            if (sparse) {
                ModelPackage.saveSparse(dir, meta, model.stateDict());
            } else {
                ModelPackage.save(dir, meta, model.stateDict());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the model to " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * A model loaded back, with its metadata.
     *
     * @param model the network, in eval mode
     * @param meta its {@code model.json}
     */
    public record Loaded(Sequential model, ModelJson meta) {
        /** {mean, std} of the input normalisation the model was trained with, or null. */
        public double[] normalize() {
            JsonObject pre = meta.preprocessing();
            if (!pre.has("normalize")) {
                return null;
            }
            JsonObject n = pre.getAsJsonObject("normalize");
            return new double[] {n.get("mean").getAsDouble(), n.get("std").getAsDouble()};
        }
    }

    /**
     * Loads the package at {@code pkg} (folder or zip) into a runnable model in eval mode.
     *
     * @throws IllegalArgumentException when the package is missing or invalid (the message names the file)
     */
    public static Loaded load(Path pkg) {
        if (!Files.exists(pkg)) {
            throw new IllegalArgumentException("--model " + pkg + ": no such package (train one with anvil train --out " + pkg + ")");
        }
        try (ModelPackage p = ModelPackage.load(pkg)) {
            Sequential model = ModelSpec.build(p.meta().architecture(), 0);
            Map<String, Tensor> weights = p.tensors(); // sparse tensors decoded to dense
            model.loadStateDict(weights); // copies out of the mapping, which closes with the package
            model.eval();
            return new Loaded(model, p.meta());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot load the model package " + pkg + ": " + e.getMessage(), e);
        } catch (ModelFormatException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
