package dev.anvil.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.anvil.Autograd;
import dev.anvil.Tensor;
import dev.anvil.data.ArrayDataset;
import dev.anvil.data.Batch;
import dev.anvil.data.DataLoader;
import dev.anvil.nn.Module;
import dev.anvil.nn.Sequential;
import dev.anvil.quantize.Calibration;
import dev.anvil.quantize.QuantizedConv2d;
import dev.anvil.quantize.QuantizedLinear;
import dev.anvil.quantize.Quantizer;
import dev.anvil.train.Evaluation;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code anvil quantize}: post-training int8 quantization of a package. Calibrates every Linear and Conv2d input
 * on samples of the calibration data, writes the int8 package (I8 weights, F32 scales, new layer types in
 * model.json), loads it back and compares it with the original: per-layer dtype, test accuracy, file size,
 * parameters and inference speed at batch 1 and 256.
 */
@Command(name = "quantize", sortOptions = false, description = "Quantize a model package to int8 (post-training, calibrated).")
final class QuantizeCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "PKG", description = "The F32 model package (folder or .zip).")
    Path model;

    @Option(names = "--calibration-data", required = true, paramLabel = "SOURCE",
            description = "Samples that set the activation ranges (its training split): " + DataSpec.HELP + ".")
    String calibrationData;

    @Option(names = "--calibration-samples", paramLabel = "N", description = "Calibration samples, drawn with a fixed seed. Default: 1000.")
    int samples = 1000;

    @Option(names = "--calibration", paramLabel = "METHOD",
            description = "minmax (largest magnitude), percentile (99.99) or percentile:P. Default: minmax.")
    String method = "minmax";

    @Option(names = "--data", paramLabel = "SOURCE",
            description = "Data the accuracy is measured on (its test split). Default: the calibration source.")
    String data;

    @Option(names = "--out", required = true, paramLabel = "PKG2", description = "Where to write the int8 package.")
    Path out;

    @Option(names = "--quick", description = "Short speed measurements (noisy; for tests and smoke checks).")
    boolean quick;

    @Option(names = "--json", description = "Print the comparison as JSON.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        if (samples < 1) {
            throw new IllegalArgumentException("--calibration-samples must be at least 1, got " + samples);
        }
        Calibration calibration = Calibration.parse(method);
        if (out.toAbsolutePath().normalize().equals(model.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("--out " + out + " is the --model package; write the int8 model elsewhere");
        }
        SavedModel.Loaded before = SavedModel.load(model);
        DataSpec.Loaded calib = DataSpec.load(calibrationData);
        DataSpec.Loaded eval = data == null ? calib : DataSpec.load(data);
        double[] norm = before.normalize();
        ArrayDataset calibSet = sample(normalized(calib.train(), norm), samples);
        ArrayDataset testSet = normalized(eval.test() != null ? eval.test() : eval.train(), norm);

        Sequential int8 = Quantizer.quantize(before.model(), batches(calibSet), calibration);
        SavedModel.save(out, int8, layers(before.meta().architecture(), int8), inputShape(before),
                before.meta().classLabels().toArray(String[]::new), training(before, calib, calibSet.size(), calibration));
        SavedModel.Loaded after = SavedModel.load(out); // what eval, predict and serve will see

        Stopwatch clock = quick ? new Stopwatch(10_000_000L, 10_000_000L, 3) : new Stopwatch(100_000_000L, 200_000_000L, 5);
        double[] speedBefore = new double[2];
        double[] speedAfter = new double[2];
        int[] batchSizes = {1, 256};
        for (int i = 0; i < 2; i++) {
            Tensor x = new DataLoader(testSet, Math.min(batchSizes[i], testSet.size())).epoch(0).iterator().next().x();
            // both models warm before either is timed, then each timed twice, alternating; the faster run counts
            long warmNanos = quick ? 50_000_000L : 1_500_000_000L;
            warm(before.model(), x, warmNanos);
            warm(after.model(), x, warmNanos);
            for (int round = 0; round < (quick ? 1 : 2); round++) {
                speedBefore[i] = Math.max(speedBefore[i], speed(before.model(), x, clock));
                speedAfter[i] = Math.max(speedAfter[i], speed(after.model(), x, clock));
            }
        }
        QuantizeReport.Side b = measure(before.model(), model, testSet, speedBefore);
        QuantizeReport.Side a = measure(after.model(), out, testSet, speedAfter);
        QuantizeReport report = new QuantizeReport(model, out, calibration.toString(), calibSet.size(), calib.source(),
                eval.source(), layerRows(before.model(), after.model()), b, a);
        PrintWriter w = spec.commandLine().getOut();
        if (json) {
            w.println(Json.GSON.toJson(report.toJson()));
        } else {
            report.print(w);
        }
        w.flush();
        return 0;
    }

    private static ArrayDataset normalized(ArrayDataset d, double[] norm) {
        return norm == null ? d : d.normalized(norm[0], norm[1]);
    }

    /** {@code n} examples (all when there are fewer) in a fixed pseudo-random order. */
    private static ArrayDataset sample(ArrayDataset d, int n) {
        int[] idx = new int[d.size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        SplittableRandom r = new SplittableRandom(0);
        int take = Math.min(n, idx.length);
        for (int i = 0; i < take; i++) {
            int j = i + r.nextInt(idx.length - i);
            int t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        return d.subset(java.util.Arrays.copyOf(idx, take));
    }

    /** The inputs of {@code d} in batches, re-iterable (percentile calibration reads them twice). */
    private static Iterable<Tensor> batches(ArrayDataset d) {
        return () -> {
            Iterator<Batch> it = new DataLoader(d, 250).epoch(0).iterator();
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public Tensor next() {
                    return it.next().x();
                }
            };
        };
    }

    /** The architecture with each quantized layer's type replaced by its int8 type. */
    static JsonArray layers(JsonArray architecture, Sequential int8) {
        List<Module> mods = int8.layers();
        if (mods.size() != architecture.size()) {
            throw new IllegalStateException("the model has " + mods.size() + " layers but model.json lists " + architecture.size());
        }
        JsonArray out = new JsonArray();
        for (int i = 0; i < mods.size(); i++) {
            JsonObject l = architecture.get(i).getAsJsonObject().deepCopy();
            if (mods.get(i) instanceof QuantizedLinear) {
                l.addProperty("type", "linear_int8");
            } else if (mods.get(i) instanceof QuantizedConv2d) {
                l.addProperty("type", "conv2d_int8");
            }
            out.add(l);
        }
        return out;
    }

    private static int[] inputShape(SavedModel.Loaded m) {
        List<Integer> shape = m.meta().inputs().get(0).shape();
        int[] s = new int[shape.size() - 1];
        for (int i = 1; i < shape.size(); i++) {
            s[i - 1] = shape.get(i);
        }
        return s;
    }

    private JsonObject training(SavedModel.Loaded m, DataSpec.Loaded calib, int n, Calibration c) {
        JsonObject t = m.meta().training().deepCopy();
        JsonObject q = new JsonObject();
        q.addProperty("scheme", "int8 symmetric, weights per output channel, activations per tensor");
        q.addProperty("calibration", c.toString());
        q.addProperty("calibration_samples", n);
        q.addProperty("calibration_data", calib.source());
        q.addProperty("source_model", model.toAbsolutePath().toString());
        t.add("quantization", q);
        return t;
    }

    private static List<QuantizeReport.Layer> layerRows(Sequential before, Sequential after) {
        List<QuantizeReport.Layer> rows = new ArrayList<>();
        List<Module> b = dev.anvil.quantize.Quantizer.layers(before); // the quantized model is the flattened one
        List<Module> a = after.layers();
        for (int i = 0; i < b.size(); i++) {
            rows.add(new QuantizeReport.Layer(i, b.get(i).getClass().getSimpleName(), a.get(i).getClass().getSimpleName(),
                    weightDtype(b.get(i)), weightDtype(a.get(i)), inputScale(a.get(i))));
        }
        return rows;
    }

    private static String weightDtype(Module m) {
        Tensor w = m.stateDict().get("weight");
        return w == null ? "-" : w.dtype().name();
    }

    private static Double inputScale(Module m) {
        Tensor s = m.stateDict().get("input_scale");
        return s == null ? null : s.item();
    }

    private static QuantizeReport.Side measure(Sequential m, Path pkg, ArrayDataset test, double[] speed) throws IOException {
        Evaluation ev = Evaluation.of(m, test, 500);
        long params = 0;
        for (Tensor t : m.namedWeights().values()) {
            params += t.numel();
        }
        long bytes = Files.isDirectory(pkg) ? Files.size(pkg.resolve("weights.safetensors")) : Files.size(pkg);
        return new QuantizeReport.Side(ev.accuracy(), ev.examples(), bytes, params, speed[0], speed[1]);
    }

    /** The forward pass warmed for at least {@code nanos}, then until it stops getting faster (at most 10 s). */
    private static void warm(Sequential m, Tensor x, long nanos) {
        try (var off = Autograd.noGrad()) {
            WarmUp.untilSteady(() -> {
                try (var scope = dev.anvil.MemoryScope.open("warm-up")) {
                    m.forward(x);
                }
            }, nanos, 10_000_000_000L, 100_000_000L);
        }
    }

    /** Samples per second of the forward pass on {@code x} (median of the stopwatch's batches). */
    private static double speed(Sequential m, Tensor x, Stopwatch clock) {
        try (var off = Autograd.noGrad()) {
            Stopwatch.Timing t = clock.time(() -> m.forward(x));
            return x.dim(0) / (t.nanosPerCall() / 1e9);
        }
    }
}
