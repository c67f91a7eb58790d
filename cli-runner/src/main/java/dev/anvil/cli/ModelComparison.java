package dev.anvil.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.anvil.Autograd;
import dev.anvil.Tensor;
import dev.anvil.data.ArrayDataset;
import dev.anvil.format.ModelPackage;
import dev.anvil.format.SparseWeights;
import dev.anvil.nn.Sequential;
import dev.anvil.train.Evaluation;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Measures saved model packages side by side, as the compression commands ({@code anvil prune}, {@code anvil
 * distill}, {@code anvil quantize}) report them: test accuracy, parameters (and how many are non-zero), package
 * and weights-file size, inference samples/s at batch 1 and 256, and each tensor's shape, storage and sparsity.
 * Each package is loaded back from disk the way {@code eval} and {@code serve} load it, so the figures are those of
 * the files.
 *
 * <pre>{@code
 * List<ModelComparison.Figures> f = ModelComparison.measure(List.of(
 *         new ModelComparison.Candidate("before", Path.of("models/mlp")),
 *         new ModelComparison.Candidate("after", Path.of("models/mlp-pruned"))), test, 400);
 * ModelComparison.print(out, f);
 * JsonArray json = ModelComparison.json(f);
 * }</pre>
 */
final class ModelComparison {
    /** The batch sizes whose inference speed is measured. */
    static final int[] BATCHES = {1, 256};

    /** One tensor of a package: its shape, how the file stores it, and its fraction of zeros. */
    record TensorFigures(String name, int[] shape, String storage, double sparsity) {
    }

    /**
     * What one package measured.
     *
     * @param samplesPerSecond inference throughput at each of {@link #BATCHES} (the best of the timing rounds)
     */
    record Figures(String label, Path pkg, double accuracy, int examples, long parameters, long nonZero, long packageBytes,
                   long weightsBytes, double[] samplesPerSecond, List<TensorFigures> tensors) {
    }

    private ModelComparison() {
    }

    /** A package to measure and its column label. */
    record Candidate(String label, Path pkg) {
    }

    /** The rounds of inference timing; each package's best round counts. */
    private static final int ROUNDS = 3;

    /**
     * Loads each package and measures it on {@code test} (raw, un-normalised: each package's own normalisation is
     * applied). Inference speed is timed in {@value #ROUNDS} rounds that take the packages in turn, each batch size
     * for about {@code timingMillis} per round, and each package keeps its best round: so the first package is not
     * penalised by a cold JIT, and a burst of load on a shared machine does not decide the comparison.
     */
    static List<Figures> measure(List<Candidate> candidates, ArrayDataset test, long timingMillis) {
        List<SavedModel.Loaded> loaded = new ArrayList<>();
        List<ArrayDataset> sets = new ArrayList<>();
        for (Candidate c : candidates) {
            SavedModel.Loaded m = SavedModel.load(c.pkg());
            double[] norm = m.normalize();
            loaded.add(m);
            sets.add(norm == null ? test : test.normalized(norm[0], norm[1]));
        }
        double[][] speed = new double[candidates.size()][BATCHES.length];
        Stopwatch watch = new Stopwatch(Math.max(1, timingMillis / 4) * 1_000_000L, timingMillis * 1_000_000L / 5, 5);
        for (int round = 0; round < ROUNDS; round++) {
            for (int c = 0; c < candidates.size(); c++) {
                Sequential model = loaded.get(c).model();
                for (int i = 0; i < BATCHES.length; i++) {
                    int batch = BATCHES[i];
                    Tensor x = batch(sets.get(c), batch);
                    try (var off = Autograd.noGrad()) {
                        double s = batch / (watch.time(() -> model.forward(x)).nanosPerCall() / 1e9);
                        speed[c][i] = Math.max(speed[c][i], s);
                    }
                }
            }
        }
        List<Figures> out = new ArrayList<>();
        for (int c = 0; c < candidates.size(); c++) {
            out.add(figures(candidates.get(c), loaded.get(c).model(), sets.get(c), speed[c]));
        }
        return out;
    }

    private static Figures figures(Candidate c, Sequential model, ArrayDataset set, double[] speed) {
        Evaluation ev = Evaluation.of(model, set, 500);
        long params = 0;
        long nonZero = 0;
        List<TensorFigures> tensors = new ArrayList<>();
        Map<String, String> storage = storage(c.pkg());
        Map<String, Tensor> weights = model.namedWeights(); // not running statistics or quantization scales
        for (var e : model.stateDict().entrySet()) {
            Tensor t = e.getValue();
            long zeros = t.numel() == 0 ? 0 : t.eq(0).sum().itemLong();
            if (weights.containsKey(e.getKey())) {
                params += t.numel();
                nonZero += t.numel() - zeros;
            }
            tensors.add(new TensorFigures(e.getKey(), t.dims(), storage.getOrDefault(e.getKey(), t.dtype().name()),
                    t.numel() == 0 ? 0 : zeros / (double) t.numel()));
        }
        long[] sizes = sizes(c.pkg());
        return new Figures(c.label(), c.pkg(), ev.accuracy(), ev.examples(), params, nonZero, sizes[0], sizes[1], speed, tensors);
    }

    /** The first {@code n} examples of {@code data} (repeated when it has fewer) as one input batch. */
    private static Tensor batch(ArrayDataset data, int n) {
        int size = data.featureSize();
        float[] x = new float[n * size];
        for (int i = 0; i < n; i++) {
            data.features(i % data.size(), x, i * size);
        }
        int[] shape = data.featureShape();
        int[] dims = new int[shape.length + 1];
        dims[0] = n;
        System.arraycopy(shape, 0, dims, 1, shape.length);
        return Tensor.fromArray(x, dims);
    }

    /** How the weights file stores each tensor: "F32", "F32 bitmask", "F32 csr", ... */
    private static Map<String, String> storage(Path pkg) {
        Map<String, String> out = new java.util.HashMap<>();
        try (ModelPackage p = ModelPackage.load(pkg)) {
            var f = p.weights();
            for (String name : f.names()) {
                out.put(name, f.dtype(name).name());
            }
            String index = f.metadata().get(SparseWeights.METADATA_KEY);
            if (index != null) {
                for (var e : com.google.gson.JsonParser.parseString(index).getAsJsonObject().entrySet()) {
                    out.put(e.getKey(), "F32 " + e.getValue().getAsJsonObject().get("layout").getAsString());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + pkg + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** {whole package, weights file} in bytes; a zip counts as a whole. */
    private static long[] sizes(Path pkg) {
        try {
            if (!Files.isDirectory(pkg)) {
                long s = Files.size(pkg);
                return new long[] {s, s};
            }
            long total = 0;
            try (Stream<Path> files = Files.list(pkg)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    if (Files.isRegularFile(f)) {
                        total += Files.size(f);
                    }
                }
            }
            return new long[] {total, Files.size(pkg.resolve(ModelPackage.WEIGHTS))};
        } catch (IOException e) {
            throw new UncheckedIOException("cannot size " + pkg + ": " + e.getMessage(), e);
        }
    }

    /**
     * Prints the figures as one table, a column per package; the last column compares the last package with the
     * first (accuracy in points, the rest as ratios). Then each package's tensors.
     */
    static void print(PrintWriter out, List<Figures> all) {
        Figures first = all.get(0);
        Figures last = all.get(all.size() - 1);
        List<String> head = new ArrayList<>();
        head.add("");
        for (Figures f : all) {
            head.add(">" + f.label());
        }
        head.add(">" + (all.size() > 1 ? "CHANGE" : ""));
        Table t = new Table(head.toArray(String[]::new));
        row(t, all, "test accuracy", f -> String.format(Locale.ROOT, "%.2f%%", 100 * f.accuracy()),
                String.format(Locale.ROOT, "%+.2f pts", 100 * (last.accuracy() - first.accuracy())));
        row(t, all, "parameters", f -> String.format(Locale.ROOT, "%,d", f.parameters()),
                ratio(first.parameters(), last.parameters(), "fewer"));
        row(t, all, "non-zero parameters", f -> String.format(Locale.ROOT, "%,d", f.nonZero()),
                ratio(first.nonZero(), last.nonZero(), "fewer"));
        row(t, all, "package size", f -> size(f.packageBytes()), ratio(first.packageBytes(), last.packageBytes(), "smaller"));
        row(t, all, "weights file", f -> size(f.weightsBytes()), ratio(first.weightsBytes(), last.weightsBytes(), "smaller"));
        for (int i = 0; i < BATCHES.length; i++) {
            int k = i;
            row(t, all, "samples/s, batch " + BATCHES[i], f -> String.format(Locale.ROOT, "%,.0f", f.samplesPerSecond()[k]),
                    String.format(Locale.ROOT, "%.2fx", last.samplesPerSecond()[k] / first.samplesPerSecond()[k]));
        }
        t.print(out, "  ");
        for (Figures f : all) {
            out.println();
            out.println("Tensors of " + f.label() + " (" + f.pkg() + "):");
            Table tt = new Table("TENSOR", "SHAPE", "STORED AS", ">SPARSITY");
            for (TensorFigures x : f.tensors()) {
                tt.add(x.name(), java.util.Arrays.toString(x.shape()), x.storage(),
                        String.format(Locale.ROOT, "%.2f%%", 100 * x.sparsity()));
            }
            tt.print(out, "  ");
        }
        out.flush();
    }

    private static void row(Table t, List<Figures> all, String name, java.util.function.Function<Figures, String> cell,
            String change) {
        List<String> cells = new ArrayList<>();
        cells.add(name);
        for (Figures f : all) {
            cells.add(cell.apply(f));
        }
        cells.add(all.size() > 1 ? change : "");
        t.add(cells.toArray(String[]::new));
    }

    /** "4.20x smaller" for first/last, or "1.00x" when equal. */
    private static String ratio(long first, long last, String word) {
        if (last == 0) {
            return "";
        }
        double r = first / (double) last;
        return r == 1 ? "1.00x" : r > 1 ? String.format(Locale.ROOT, "%.2fx %s", r, word)
                : String.format(Locale.ROOT, "%.2fx larger", 1 / r);
    }

    private static String size(long bytes) {
        return bytes >= 1 << 20 ? String.format(Locale.ROOT, "%.2f MiB", bytes / (double) (1 << 20))
                : String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }

    /** The figures as a JSON list, one object per package, in order. */
    static JsonArray json(List<Figures> all) {
        JsonArray arr = new JsonArray();
        for (Figures f : all) {
            JsonObject o = new JsonObject();
            o.addProperty("label", f.label());
            o.addProperty("package", f.pkg().toString());
            o.addProperty("test_accuracy", f.accuracy());
            o.addProperty("test_examples", f.examples());
            o.addProperty("parameters", f.parameters());
            o.addProperty("nonzero_parameters", f.nonZero());
            o.addProperty("package_bytes", f.packageBytes());
            o.addProperty("weights_bytes", f.weightsBytes());
            for (int i = 0; i < BATCHES.length; i++) {
                o.addProperty("samples_per_second_batch_" + BATCHES[i], f.samplesPerSecond()[i]);
            }
            JsonArray ts = new JsonArray();
            for (TensorFigures x : f.tensors()) {
                JsonObject t = new JsonObject();
                t.addProperty("name", x.name());
                t.add("shape", Json.GSON.toJsonTree(x.shape()));
                t.addProperty("stored_as", x.storage());
                t.addProperty("sparsity", x.sparsity());
                ts.add(t);
            }
            o.add("tensors", ts);
            arr.add(o);
        }
        return arr;
    }
}
