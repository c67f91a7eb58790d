package dev.anvil.prune;

import dev.anvil.Autograd;
import dev.anvil.MemoryScope;
import dev.anvil.Tensor;
import dev.anvil.nn.AvgPool2d;
import dev.anvil.nn.BatchNorm;
import dev.anvil.nn.BatchNorm1d;
import dev.anvil.nn.BatchNorm2d;
import dev.anvil.nn.Conv2d;
import dev.anvil.nn.Dropout;
import dev.anvil.nn.Flatten;
import dev.anvil.nn.GELU;
import dev.anvil.nn.Linear;
import dev.anvil.nn.MaxPool2d;
import dev.anvil.nn.Module;
import dev.anvil.nn.ReLU;
import dev.anvil.nn.Sequential;
import dev.anvil.nn.Sigmoid;
import dev.anvil.nn.Tanh;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Structured pruning of a {@link Sequential}: removes whole output neurons of {@link Linear} layers and whole
 * filters of {@link Conv2d} layers, those whose weight rows have the smallest L1 or L2 norm, and builds a
 * physically smaller model: the pruned layer gets fewer outputs, a BatchNorm after it keeps only the surviving
 * channels' parameters and running statistics, and the next Linear or Conv2d loses the matching inputs (through a
 * {@link Flatten}, each filter's block of {@code h * w} inputs). The last layer (the model's outputs) is never
 * pruned, and neither is a layer whose outputs reach the next one through a module that mixes features
 * (LayerNorm, for example). A neuron with a zero weight row and zero bias contributes nothing after ReLU, so
 * removing it leaves the outputs unchanged.
 *
 * <pre>{@code
 * StructuredPruning.Result r = StructuredPruning.prune(mlp, 0.5, StructuredPruning.Norm.L1);
 * Sequential smaller = r.model();     // 784-128-64-10 from 784-256-128-10
 * }</pre>
 */
public final class StructuredPruning {
    /** The norm by which weight rows are ranked. */
    public enum Norm {
        /** Sum of absolute values. */
        L1,
        /** Square root of the sum of squares. */
        L2
    }

    /**
     * The pruned model and, for each pruned layer (by its index in the Sequential), the original indices of the
     * outputs it kept, ascending.
     */
    public record Result(Sequential model, Map<Integer, int[]> kept) {
        public Result {
            kept = Collections.unmodifiableMap(new LinkedHashMap<>(kept));
        }
    }

    private StructuredPruning() {
    }

    /**
     * Removes {@code round(fraction * outputs)} outputs (leaving at least one) from every prunable layer of
     * {@code model}, which is left unchanged.
     */
    public static Result prune(Sequential model, double fraction, Norm norm) {
        if (!(fraction >= 0 && fraction < 1)) {
            throw new IllegalArgumentException("structured pruning: fraction must be in [0, 1), got " + fraction);
        }
        List<Module> layers = model.layers();
        Map<Integer, int[]> kept = new LinkedHashMap<>();
        for (int i = 0; i < layers.size(); i++) {
            if (consumer(layers, i) >= 0) {
                Tensor w = layers.get(i) instanceof Linear l ? l.weight() : ((Conv2d) layers.get(i)).weight();
                int outs = w.dim(0);
                int keep = Math.max(1, outs - (int) Math.round(fraction * outs));
                kept.put(i, strongest(w, keep, norm));
            }
        }
        if (kept.isEmpty()) {
            throw new IllegalArgumentException("structured pruning: no layer to prune; a Linear or Conv2d qualifies when another "
                    + "Linear or Conv2d follows it through activations, dropout, pooling, BatchNorm or Flatten only");
        }
        return new Result(rebuild(model, kept), kept);
    }

    /**
     * The index of the Linear or Conv2d that consumes layer {@code i}'s outputs, or -1 when layer {@code i} is not
     * prunable (not a Linear or Conv2d, the last one, or followed by a module that mixes features).
     */
    static int consumer(List<Module> layers, int i) {
        Module m = layers.get(i);
        if (!(m instanceof Linear) && !(m instanceof Conv2d)) {
            return -1;
        }
        for (int j = i + 1; j < layers.size(); j++) {
            Module n = layers.get(j);
            if (n instanceof Linear || n instanceof Conv2d) {
                return (m instanceof Linear && n instanceof Conv2d) ? -1 : j;
            }
            boolean passes = n instanceof ReLU || n instanceof GELU || n instanceof Tanh || n instanceof Sigmoid
                    || n instanceof Dropout || n instanceof Flatten
                    || (m instanceof Conv2d && (n instanceof MaxPool2d || n instanceof AvgPool2d || n instanceof BatchNorm2d))
                    || (m instanceof Linear && n instanceof BatchNorm1d);
            if (!passes) {
                return -1;
            }
        }
        return -1;
    }

    /** Indices of the {@code keep} rows of largest norm, ascending (ties to the earlier row). */
    private static int[] strongest(Tensor w, int keep, Norm norm) {
        float[] v = w.detach().toFloatArray();
        int rows = w.dim(0);
        int cols = v.length / rows;
        double[] score = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int c = 0; c < cols; c++) {
                float x = v[r * cols + c];
                s += norm == Norm.L1 ? Math.abs(x) : (double) x * x;
            }
            score[r] = s;
        }
        Integer[] order = new Integer[rows];
        for (int r = 0; r < rows; r++) {
            order[r] = r;
        }
        Arrays.sort(order, (a, b) -> score[a] != score[b] ? Double.compare(score[b], score[a]) : Integer.compare(a, b));
        int[] out = new int[keep];
        for (int k = 0; k < keep; k++) {
            out[k] = order[k];
        }
        Arrays.sort(out);
        return out;
    }

    private static Sequential rebuild(Sequential model, Map<Integer, int[]> kept) {
        List<Module> layers = model.layers();
        List<Module> out = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(0); // initial values are overwritten below
        int[] channels = null;   // surviving outputs of the last pruned layer, until its consumer takes them
        int channelCount = 0;    // how many outputs that layer had before
        try (var off = Autograd.noGrad()) {
            for (int i = 0; i < layers.size(); i++) {
                Module m = layers.get(i);
                int[] outSel = kept.get(i);
                if (m instanceof Linear l) {
                    int[] inSel = channels == null ? null : expand(channels, channelCount, l.inFeatures(), i);
                    Tensor w = select(select(l.weight(), 0, outSel), 1, inSel);
                    Linear n = new Linear(w.dim(1), w.dim(0), l.bias() != null, rng);
                    n.weight().copyFrom(w);
                    if (l.bias() != null) {
                        n.bias().copyFrom(select(l.bias(), 0, outSel));
                    }
                    out.add(n);
                } else if (m instanceof Conv2d c) {
                    Tensor w = select(select(c.weight(), 0, outSel), 1, channels);
                    Conv2d n = new Conv2d(w.dim(1), w.dim(0), c.kernel(), c.stride(), c.padding(), rng);
                    n.weight().copyFrom(w);
                    n.bias().copyFrom(select(c.bias(), 0, outSel));
                    out.add(n);
                } else if (m instanceof BatchNorm b && channels != null) {
                    BatchNorm n = b instanceof BatchNorm2d ? new BatchNorm2d(channels.length, b.eps(), b.momentum())
                            : new BatchNorm1d(channels.length, b.eps(), b.momentum());
                    n.weight().copyFrom(select(b.weight(), 0, channels));
                    n.bias().copyFrom(select(b.bias(), 0, channels));
                    n.runningMean().copyFrom(select(b.runningMean(), 0, channels));
                    n.runningVar().copyFrom(select(b.runningVar(), 0, channels));
                    out.add(n);
                } else {
                    out.add(m); // no parameters that depend on the width
                }
                if (m instanceof Linear || m instanceof Conv2d) {
                    channels = outSel;
                    channelCount = m instanceof Linear l ? l.outFeatures() : ((Conv2d) m).outChannels();
                }
            }
        }
        Sequential s = new Sequential(out);
        if (!model.isTraining()) {
            s.eval();
        }
        return s;
    }

    /** Input indices of a Linear fed by {@code channels} of {@code count}: through a Flatten, blocks of h*w each. */
    private static int[] expand(int[] channels, int count, int inFeatures, int layer) {
        if (inFeatures == count) {
            return channels;
        }
        if (inFeatures % count != 0) {
            throw new IllegalArgumentException("structured pruning: layer " + layer + " has " + inFeatures
                    + " inputs, not a multiple of the " + count + " channels before it");
        }
        int block = inFeatures / count;
        int[] out = new int[channels.length * block];
        for (int k = 0; k < channels.length; k++) {
            for (int j = 0; j < block; j++) {
                out[k * block + j] = channels[k] * block + j;
            }
        }
        return out;
    }

    private static Tensor select(Tensor t, int axis, int[] indices) {
        if (indices == null) {
            return t.detach();
        }
        try (var scope = MemoryScope.open("select")) {
            return scope.keep(t.detach().indexSelect(axis, Tensor.fromArray(indices).cast(dev.anvil.DType.I64)));
        }
    }
}
