package dev.anvil.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.anvil.Tensor;
import dev.anvil.format.ModelJson;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code anvil inspect}: what a model package holds: architecture, parameters, sparsity, signature, metadata. */
@Command(name = "inspect", sortOptions = false, description = "Show a model package: layers, parameters, signature, metadata.")
final class InspectCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "PKG", description = "A model package (folder or .zip).")
    Path model;

    @Option(names = "--json", description = "Print the description as JSON.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        SavedModel.Loaded m = SavedModel.load(model);
        ModelJson meta = m.meta();
        Map<String, Tensor> state = m.model().stateDict();
        Map<String, Tensor> weights = m.model().namedWeights(); // not running statistics or quantization scales
        long params = 0;
        long zeros = 0;
        JsonArray tensors = new JsonArray();
        for (var e : state.entrySet()) {
            Tensor t = e.getValue();
            long n = t.numel();
            long z = n == 0 ? 0 : t.eq(0).sum().itemLong();
            if (weights.containsKey(e.getKey())) {
                params += n;
                zeros += z;
            }
            JsonObject o = new JsonObject();
            o.addProperty("name", e.getKey());
            o.addProperty("dtype", t.dtype().name());
            o.add("shape", Json.GSON.toJsonTree(t.dims()));
            o.addProperty("elements", n);
            o.addProperty("sparsity", n == 0 ? 0 : z / (double) n);
            tensors.add(o);
        }
        long bytes = Files.isDirectory(model) ? Files.size(model.resolve("weights.safetensors")) : Files.size(model);
        if (json) {
            JsonObject o = com.google.gson.JsonParser.parseString(meta.toJson()).getAsJsonObject();
            o.addProperty("parameters", params);
            o.addProperty("weights_bytes", bytes);
            o.addProperty("sparsity", params == 0 ? 0 : zeros / (double) params);
            o.add("tensors", tensors);
            out.println(Json.GSON.toJson(o));
            out.flush();
            return 0;
        }
        out.printf(Locale.ROOT, "%s (version %s, format %d), %s: %,d parameters, %s of weights, sparsity %.2f%%%n%n",
                meta.name(), meta.version(), meta.formatVersion(), model, params, InfoCommand.bytes(bytes),
                params == 0 ? 0.0 : 100.0 * zeros / params);
        out.println("Layers:");
        JsonArray layers = meta.architecture();
        for (int i = 0; i < layers.size(); i++) {
            out.println("  " + i + "  " + layers.get(i));
        }
        out.println();
        Table t = new Table("TENSOR", "DTYPE", "SHAPE", ">ELEMENTS", ">SPARSITY");
        for (var e : tensors) {
            JsonObject o = e.getAsJsonObject();
            t.add(o.get("name").getAsString(), o.get("dtype").getAsString(), o.get("shape").toString(),
                    String.format(Locale.ROOT, "%,d", o.get("elements").getAsLong()),
                    String.format(Locale.ROOT, "%.2f%%", 100 * o.get("sparsity").getAsDouble()));
        }
        t.print(out, "  ");
        out.println();
        for (var io : meta.inputs()) {
            out.println("Input   " + io.name() + " " + io.dtype() + " " + io.shape());
        }
        for (var io : meta.outputs()) {
            out.println("Output  " + io.name() + " " + io.dtype() + " " + io.shape());
        }
        out.println("Preprocessing  " + meta.preprocessing());
        out.println("Classes        " + String.join(", ", meta.classLabels()));
        JsonObject tr = meta.training();
        if (tr.has("dataset")) {
            out.println("Trained on     " + tr.get("dataset").getAsString() + (tr.has("backend") ? " with " + tr.get("backend").getAsString() : ""));
        }
        if (tr.has("epochs") && tr.get("epochs").isJsonArray() && !tr.getAsJsonArray("epochs").isEmpty()) {
            JsonArray eps = tr.getAsJsonArray("epochs");
            JsonObject last = eps.get(eps.size() - 1).getAsJsonObject();
            out.printf(Locale.ROOT, "Final          epoch %d, loss %.4f%s%n", eps.size(), last.get("loss").getAsDouble(),
                    last.has("test_accuracy") && !last.get("test_accuracy").isJsonNull()
                            ? String.format(Locale.ROOT, ", test accuracy %.2f%%", 100 * last.get("test_accuracy").getAsDouble()) : "");
        }
        out.println("Weights SHA-256 " + meta.weightsSha256());
        out.flush();
        return 0;
    }
}
