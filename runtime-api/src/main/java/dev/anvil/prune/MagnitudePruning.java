package dev.anvil.prune;

import dev.anvil.MemoryScope;
import dev.anvil.Tensor;
import dev.anvil.nn.Module;
import java.util.Arrays;
import java.util.List;

/**
 * Unstructured magnitude pruning: the weights of smallest absolute value are set to zero, either a fraction of
 * each layer ({@link Scope#LAYER}) or a fraction of all masked weights under one threshold shared by every layer
 * ({@link Scope#GLOBAL}), or every weight below a given threshold. Weights already pruned stay pruned (they rank
 * below every kept weight), so raising the sparsity step by step, as {@link GradualPruning} does, only adds to
 * the masks. Exactly {@code round(sparsity * n)} weights are pruned: ties at the threshold are broken by
 * position, earliest first.
 *
 * <pre>{@code
 * Masks masks = MagnitudePruning.prune(model, 0.9, MagnitudePruning.Scope.GLOBAL);
 * }</pre>
 */
public final class MagnitudePruning {
    /** Whether the target sparsity applies to each layer or to all masked weights together. */
    public enum Scope {
        /** Each layer pruned to the sparsity on its own. */
        LAYER,
        /** One magnitude threshold across layers; layers end up with different sparsities. */
        GLOBAL
    }

    private MagnitudePruning() {
    }

    /** Masks over {@code model}'s Linear and Conv2d weights, pruned to {@code sparsity} and applied. */
    public static Masks prune(Module model, double sparsity, Scope scope) {
        Masks masks = Masks.forWeights(model);
        toSparsity(masks, sparsity, scope);
        return masks;
    }

    /** Raises the masks to {@code sparsity} (a fraction in [0, 1]) and applies them. */
    public static void toSparsity(Masks masks, double sparsity, Scope scope) {
        if (!(sparsity >= 0 && sparsity <= 1)) {
            throw new IllegalArgumentException("sparsity must be a fraction in [0, 1], got " + sparsity);
        }
        List<String> names = List.copyOf(masks.names());
        float[][] scores = new float[names.size()][];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = scores(masks, names.get(i));
        }
        if (scope == Scope.LAYER) {
            for (int i = 0; i < scores.length; i++) {
                boolean[] pruned = smallest(scores[i], Math.round(sparsity * scores[i].length));
                store(masks, names.get(i), pruned);
            }
        } else {
            long total = 0;
            for (float[] s : scores) {
                total += s.length;
            }
            if (total > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("global pruning over " + total + " weights: more than one array holds; "
                        + "prune per layer instead");
            }
            float[] all = new float[(int) total];
            int at = 0;
            for (float[] s : scores) {
                System.arraycopy(s, 0, all, at, s.length);
                at += s.length;
            }
            boolean[] pruned = smallest(all, Math.round(sparsity * total));
            at = 0;
            for (int i = 0; i < scores.length; i++) {
                store(masks, names.get(i), Arrays.copyOfRange(pruned, at, at + scores[i].length));
                at += scores[i].length;
            }
        }
        masks.apply();
    }

    /** Prunes every masked weight whose magnitude is below {@code threshold} (and keeps those pruned before). */
    public static void toThreshold(Masks masks, double threshold) {
        if (!(threshold >= 0)) {
            throw new IllegalArgumentException("threshold must be >= 0, got " + threshold);
        }
        for (String name : masks.names()) {
            float[] s = scores(masks, name);
            boolean[] pruned = new boolean[s.length];
            for (int i = 0; i < s.length; i++) {
                pruned[i] = s[i] < threshold;
            }
            store(masks, name, pruned);
        }
        masks.apply();
    }

    /** |w|, with already pruned entries at -1 so they rank first. */
    private static float[] scores(Masks masks, String name) {
        float[] w = masks.parameter(name).toFloatArray();
        float[] m = masks.mask(name).toFloatArray();
        for (int i = 0; i < w.length; i++) {
            w[i] = m[i] == 0 ? -1f : Math.abs(w[i]);
        }
        return w;
    }

    private static void store(Masks masks, String name, boolean[] pruned) {
        float[] keep = new float[pruned.length];
        for (int i = 0; i < keep.length; i++) {
            keep[i] = pruned[i] ? 0f : 1f;
        }
        Tensor p = masks.parameter(name);
        try (var scope = MemoryScope.open("mask")) {
            masks.set(name, Tensor.fromArray(keep, p.dims()));
        }
    }

    /** Flags the {@code k} smallest scores; ties at the k-th value go to the earliest positions. */
    static boolean[] smallest(float[] scores, long k) {
        boolean[] out = new boolean[scores.length];
        if (k <= 0) {
            return out;
        }
        if (k >= scores.length) {
            Arrays.fill(out, true);
            return out;
        }
        float[] sorted = scores.clone();
        Arrays.sort(sorted);
        float t = sorted[(int) k - 1];
        long left = k;
        for (int i = 0; i < scores.length; i++) {
            if (scores[i] < t) {
                out[i] = true;
                left--;
            }
        }
        for (int i = 0; i < scores.length && left > 0; i++) {
            if (scores[i] == t) {
                out[i] = true;
                left--;
            }
        }
        return out;
    }
}
