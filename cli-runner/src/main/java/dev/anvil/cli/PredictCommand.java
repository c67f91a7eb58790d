package dev.anvil.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.anvil.Autograd;
import dev.anvil.MemoryScope;
import dev.anvil.Tensor;
import dev.anvil.data.Idx;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code anvil predict}: classes and probabilities for inputs given as {@code {"instances": [...]}} JSON (the
 * body the server will take; each instance the model's input values, nested or flat), an IDX image file
 * (pixels scaled by the package's {@code pixel_scale}), or a CSV of feature rows. The package's input
 * normalisation is applied to every source.
 */
@Command(name = "predict", sortOptions = false, description = "Predict classes for instances (JSON), IDX images or CSV rows.")
final class PredictCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "PKG", description = "A model package (folder or .zip).")
    Path model;

    @Option(names = "--input", required = true, paramLabel = "FILE|-",
            description = "{\"instances\": [...]} JSON (FILE or - for stdin), an IDX image file, or a CSV of feature rows.")
    String input;

    @Option(names = "--top", defaultValue = "1", paramLabel = "K", description = "Classes to show per instance. Default: ${DEFAULT-VALUE}.")
    int top;

    @Option(names = "--json", description = "Print {\"predictions\": [...]} as JSON.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        if (top < 1) {
            throw new IllegalArgumentException("--top must be at least 1, got " + top);
        }
        PrintWriter out = spec.commandLine().getOut();
        SavedModel.Loaded m = SavedModel.load(model);
        List<Integer> shape = m.meta().inputs().get(0).shape();
        int[] featureShape = new int[shape.size() - 1];
        int featureSize = 1;
        for (int i = 1; i < shape.size(); i++) {
            featureShape[i - 1] = shape.get(i);
            featureSize *= shape.get(i);
        }
        float[] x = read(featureSize, m);
        int n = x.length / featureSize;
        double[] norm = m.normalize();
        if (norm != null) {
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) ((x[i] - norm[0]) / norm[1]);
            }
        }
        int[] batchShape = new int[featureShape.length + 1];
        batchShape[0] = n;
        System.arraycopy(featureShape, 0, batchShape, 1, featureShape.length);
        float[] probs;
        int classes;
        try (var off = Autograd.noGrad(); MemoryScope s = MemoryScope.open("predict")) {
            Tensor p = m.model().forward(Tensor.fromArray(x, batchShape)).softmax(-1);
            classes = p.dim(-1);
            probs = p.toFloatArray();
        }
        List<String> labels = m.meta().classLabels();
        JsonArray predictions = new JsonArray();
        for (int i = 0; i < n; i++) {
            Integer[] order = new Integer[classes];
            for (int c = 0; c < classes; c++) {
                order[c] = c;
            }
            final int row = i;
            java.util.Arrays.sort(order, (a, b) -> Float.compare(probs[row * classes + b], probs[row * classes + a]));
            JsonObject o = new JsonObject();
            o.addProperty("class", order[0]);
            o.addProperty("label", order[0] < labels.size() ? labels.get(order[0]) : Integer.toString(order[0]));
            JsonArray topK = new JsonArray();
            for (int k = 0; k < Math.min(top, classes); k++) {
                JsonObject t = new JsonObject();
                t.addProperty("class", order[k]);
                t.addProperty("label", order[k] < labels.size() ? labels.get(order[k]) : Integer.toString(order[k]));
                t.addProperty("probability", probs[i * classes + order[k]]);
                topK.add(t);
            }
            o.add("top", topK);
            predictions.add(o);
        }
        if (json) {
            JsonObject root = new JsonObject();
            root.add("predictions", predictions);
            out.println(Json.GSON.toJson(root));
        } else {
            for (int i = 0; i < n; i++) {
                StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%5d", i));
                for (JsonElement t : predictions.get(i).getAsJsonObject().getAsJsonArray("top")) {
                    JsonObject o = t.getAsJsonObject();
                    sb.append(String.format(Locale.ROOT, "  %s %.4f", o.get("label").getAsString(), o.get("probability").getAsDouble()));
                }
                out.println(sb);
            }
        }
        out.flush();
        return 0;
    }

    private float[] read(int featureSize, SavedModel.Loaded m) throws IOException {
        if (input.equals("-") || input.endsWith(".json")) {
            String text;
            if (input.equals("-")) {
                InputStream in = System.in;
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } else {
                text = Files.readString(Path.of(input));
            }
            return instances(text, featureSize);
        }
        Path p = Path.of(input);
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException("--input " + input + ": no such file");
        }
        if (input.endsWith(".csv")) {
            return csv(p, featureSize);
        }
        Idx.Data images = Idx.read(p);
        if (images.values().length % featureSize != 0) {
            throw new IllegalArgumentException("--input " + input + ": IDX dimensions " + java.util.Arrays.toString(images.dims())
                    + " do not hold whole inputs of " + featureSize + " values");
        }
        JsonObject pre = m.meta().preprocessing();
        double scale = pre.has("pixel_scale") ? pre.get("pixel_scale").getAsDouble() : 1.0 / 255;
        float[] x = new float[images.values().length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (images.unsigned(i) * scale);
        }
        return x;
    }

    static float[] instances(String text, int featureSize) {
        JsonElement root;
        try {
            root = JsonParser.parseString(text);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--input: malformed JSON: " + Main.oneLine(e.getMessage()));
        }
        if (!root.isJsonObject() || !root.getAsJsonObject().has("instances") || !root.getAsJsonObject().get("instances").isJsonArray()) {
            throw new IllegalArgumentException("--input: expected {\"instances\": [...]}");
        }
        JsonArray inst = root.getAsJsonObject().getAsJsonArray("instances");
        if (inst.isEmpty()) {
            throw new IllegalArgumentException("--input: \"instances\" is empty");
        }
        float[] x = new float[inst.size() * featureSize];
        for (int i = 0; i < inst.size(); i++) {
            List<Float> flat = new ArrayList<>();
            flatten(inst.get(i), flat, i);
            if (flat.size() != featureSize) {
                throw new IllegalArgumentException("--input: instance " + i + " has " + flat.size() + " values, the model takes "
                        + featureSize);
            }
            for (int k = 0; k < featureSize; k++) {
                x[i * featureSize + k] = flat.get(k);
            }
        }
        return x;
    }

    private static void flatten(JsonElement e, List<Float> out, int instance) {
        if (e.isJsonArray()) {
            for (JsonElement c : e.getAsJsonArray()) {
                flatten(c, out, instance);
            }
        } else if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
            out.add(e.getAsFloat());
        } else {
            throw new IllegalArgumentException("--input: instance " + instance + " holds " + e + ", not a number");
        }
    }

    private static float[] csv(Path p, int featureSize) throws IOException {
        List<String> lines = Files.readAllLines(p);
        List<float[]> rows = new ArrayList<>();
        for (int ln = 0; ln < lines.size(); ln++) {
            String line = lines.get(ln).trim();
            if (line.isEmpty()) {
                continue;
            }
            String[] cells = line.split(",");
            if (cells.length != featureSize) {
                throw new IllegalArgumentException(p + ":" + (ln + 1) + ": " + cells.length + " columns, the model takes " + featureSize);
            }
            float[] r = new float[featureSize];
            for (int c = 0; c < featureSize; c++) {
                try {
                    r[c] = Float.parseFloat(cells[c].trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(p + ":" + (ln + 1) + ": column " + (c + 1) + " is not a number: '" + cells[c] + "'");
                }
            }
            rows.add(r);
        }
        float[] x = new float[rows.size() * featureSize];
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(rows.get(i), 0, x, i * featureSize, featureSize);
        }
        return x;
    }
}
