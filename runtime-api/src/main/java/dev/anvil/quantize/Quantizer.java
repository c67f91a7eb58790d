package dev.anvil.quantize;

import dev.anvil.Autograd;
import dev.anvil.MemoryScope;
import dev.anvil.Tensor;
import dev.anvil.nn.Conv2d;
import dev.anvil.nn.Linear;
import dev.anvil.nn.Module;
import dev.anvil.nn.Sequential;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Post-training int8 quantization of a {@link Sequential}: the input of every {@link Linear} and {@link Conv2d}
 * is observed on calibration batches to choose its step, then those layers become {@link QuantizedLinear} and
 * {@link QuantizedConv2d}; every other layer stays F32 and is shared with the original model. Sequentials nested
 * in the model are flattened into one list of layers (the same computation); other modules are kept whole, in F32.
 *
 * <pre>{@code
 * Sequential int8 = Quantizer.quantize(model, calibrationBatches, new Calibration.MinMax());
 * }</pre>
 */
public final class Quantizer {
    /** Bins of the magnitude histogram used for percentiles. */
    private static final int BINS = 8192;

    private Quantizer() {
    }

    /**
     * The quantized model. {@code batches} (inputs only, iterated once for min/max and twice for a percentile)
     * must hold at least one example; the original model is left unchanged.
     */
    public static Sequential quantize(Sequential model, Iterable<Tensor> batches, Calibration method) {
        List<Module> layers = layers(model);
        float[] scales = calibrate(model, batches, method);
        List<Module> out = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            Module l = layers.get(i);
            if (l instanceof Linear lin) {
                out.add(QuantizedLinear.of(lin, scales[i]));
            } else if (l instanceof Conv2d conv) {
                out.add(QuantizedConv2d.of(conv, scales[i]));
            } else {
                out.add(l);
            }
        }
        Sequential q = new Sequential(out);
        q.eval();
        return q;
    }

    /**
     * The input step of each layer of {@code model} chosen by {@code method} (0 for layers that are not
     * quantized), running the model in eval mode without gradients.
     */
    public static float[] calibrate(Sequential model, Iterable<Tensor> batches, Calibration method) {
        List<Module> layers = layers(model);
        int count = layers.size();
        boolean[] observed = new boolean[count];
        for (int i = 0; i < count; i++) {
            observed[i] = layers.get(i) instanceof Linear || layers.get(i) instanceof Conv2d;
        }
        double[] max = new double[count];
        long examples = pass(model, batches, observed, (i, h) -> max[i] = Math.max(max[i], h.abs().max().item()));
        if (examples == 0) {
            throw new IllegalArgumentException("calibration: no samples; give at least one batch of inputs");
        }
        for (int i = 0; i < count; i++) {
            if (observed[i] && !(max[i] <= Double.MAX_VALUE)) {
                throw new IllegalArgumentException("calibration: the input of layer " + i + " (" + layers.get(i).getClass().getSimpleName()
                        + ") is not finite (" + max[i] + "); check the calibration data and the model");
            }
        }
        double[] range = max.clone();
        if (method instanceof Calibration.Percentile p) {
            long[][] hist = new long[count][BINS];
            pass(model, batches, observed, (i, h) -> {
                if (max[i] == 0) {
                    return;
                }
                double perBin = BINS / max[i];
                for (float v : h.toFloatArray()) {
                    hist[i][(int) Math.min(BINS - 1, Math.abs(v) * perBin)]++;
                }
            });
            for (int i = 0; i < count; i++) {
                if (observed[i] && max[i] > 0) {
                    range[i] = percentile(hist[i], p.percentile()) * max[i] / BINS;
                }
            }
        }
        float[] scales = new float[count];
        for (int i = 0; i < count; i++) {
            scales[i] = observed[i] ? Quantization.scaleFor(range[i]) : 0f;
        }
        return scales;
    }

    /**
     * The layers {@code model} runs, in order, with nested Sequentials opened: the indexes of {@link #calibrate}'s
     * steps.
     */
    public static List<Module> layers(Sequential model) {
        List<Module> out = new ArrayList<>();
        for (Module m : model.layers()) {
            if (m instanceof Sequential inner) {
                out.addAll(layers(inner));
            } else {
                out.add(m);
            }
        }
        return out;
    }

    /** The upper edge of the bin where the cumulative count reaches {@code p} percent. */
    static double percentile(long[] hist, double p) {
        long total = Arrays.stream(hist).sum();
        double target = total * p / 100;
        long seen = 0;
        for (int b = 0; b < hist.length; b++) {
            seen += hist[b];
            if (seen >= target) {
                return b + 1;
            }
        }
        return hist.length;
    }

    private interface Observer {
        void observe(int layer, Tensor input);
    }

    private static long pass(Sequential model, Iterable<Tensor> batches, boolean[] observed, Observer observer) {
        List<Module> layers = layers(model);
        boolean wasTraining = model.isTraining();
        model.eval();
        long examples = 0;
        try (var off = Autograd.noGrad()) {
            for (Tensor x : batches) {
                try (var scope = MemoryScope.open("calibration")) {
                    Tensor h = x;
                    for (int i = 0; i < layers.size(); i++) {
                        if (observed[i]) {
                            observer.observe(i, h);
                        }
                        h = layers.get(i).forward(h);
                    }
                }
                examples += x.rank() == 0 ? 1 : x.dim(0);
            }
        } finally {
            if (wasTraining) {
                model.train();
            }
        }
        return examples;
    }
}
