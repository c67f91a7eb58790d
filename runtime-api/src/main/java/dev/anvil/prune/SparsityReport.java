package dev.anvil.prune;

import dev.anvil.MemoryScope;
import dev.anvil.Shape;
import dev.anvil.Tensor;
import dev.anvil.nn.Module;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How many elements of each tensor are exactly zero, and overall.
 *
 * <pre>{@code
 * SparsityReport r = SparsityReport.of(model);   // Linear and Conv2d weights
 * System.out.printf("%.1f%% zero%n", 100 * r.sparsity());
 * }</pre>
 *
 * @param tensors one entry per tensor, in order
 * @param elements elements of all tensors
 * @param zeros zero elements of all tensors
 */
public record SparsityReport(List<Entry> tensors, long elements, long zeros) {
    /** One tensor's count. */
    public record Entry(String name, Shape shape, long elements, long zeros) {
        /** Fraction of elements that are zero. */
        public double sparsity() {
            return elements == 0 ? 0 : zeros / (double) elements;
        }
    }

    public SparsityReport {
        tensors = List.copyOf(tensors);
    }

    /** The report over the weights of {@code model}'s Linear and Conv2d layers. */
    public static SparsityReport of(Module model) {
        return of(Masks.prunableWeights(model));
    }

    /** The report over the given tensors. */
    public static SparsityReport of(Map<String, Tensor> tensors) {
        List<Entry> out = new ArrayList<>();
        long n = 0;
        long z = 0;
        try (var scope = MemoryScope.open("sparsity")) {
            for (var e : tensors.entrySet()) {
                Tensor t = e.getValue();
                long zeros = t.numel() == 0 ? 0 : t.detach().eq(0).sum().itemLong();
                out.add(new Entry(e.getKey(), t.shape(), t.numel(), zeros));
                n += t.numel();
                z += zeros;
            }
        }
        return new SparsityReport(out, n, z);
    }

    /** Fraction of all elements that are zero. */
    public double sparsity() {
        return elements == 0 ? 0 : zeros / (double) elements;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Entry e : tensors) {
            sb.append(String.format(Locale.ROOT, "%-24s %-18s %6.2f%%%n", e.name(), e.shape(), 100 * e.sparsity()));
        }
        sb.append(String.format(Locale.ROOT, "%-24s %-18s %6.2f%%%n", "total", elements + " elements", 100 * sparsity()));
        return sb.toString();
    }
}
