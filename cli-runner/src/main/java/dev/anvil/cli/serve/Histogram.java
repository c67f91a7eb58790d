package dev.anvil.cli.serve;

import java.util.Locale;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/** A Prometheus histogram with fixed upper bounds; observing is lock-free. */
final class Histogram {
    private final double[] bounds;
    private final double scale;
    private final LongAdder[] counts;
    private final LongAdder count = new LongAdder();
    private final DoubleAdder sum = new DoubleAdder();

    /** {@code scale} converts an observed value to the exported unit (1e-9 for nanoseconds to seconds). */
    Histogram(double[] bounds, double scale) {
        this.bounds = bounds.clone();
        this.scale = scale;
        this.counts = new LongAdder[bounds.length];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
    }

    static Histogram seconds() {
        return new Histogram(new double[] {25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3,
            250e-3, 500e-3, 1, 2.5, 5, 10}, 1e-9);
    }

    static Histogram sizes() {
        return new Histogram(new double[] {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}, 1);
    }

    void observe(long value) {
        double v = value * scale;
        for (int i = 0; i < bounds.length; i++) {
            if (v <= bounds[i]) {
                counts[i].increment();
                break;
            }
        }
        count.increment();
        sum.add(v);
    }

    long count() {
        return count.sum();
    }

    /** Appends the {@code _bucket}, {@code _sum} and {@code _count} lines with {@code labels} ({@code model="m"}). */
    void write(StringBuilder out, String name, String labels) {
        long cumulative = 0;
        String sep = labels.isEmpty() ? "" : ",";
        for (int i = 0; i < bounds.length; i++) {
            cumulative += counts[i].sum();
            out.append(name).append("_bucket{").append(labels).append(sep).append("le=\"")
                    .append(String.format(Locale.ROOT, "%s", bound(bounds[i]))).append("\"} ").append(cumulative).append('\n');
        }
        long total = count.sum();
        out.append(name).append("_bucket{").append(labels).append(sep).append("le=\"+Inf\"} ").append(total).append('\n');
        out.append(name).append("_sum{").append(labels).append("} ").append(String.format(Locale.ROOT, "%.9g", sum.sum())).append('\n');
        out.append(name).append("_count{").append(labels).append("} ").append(total).append('\n');
    }

    private static String bound(double b) {
        return b == Math.rint(b) && b < 1e15 ? Long.toString((long) b) : Double.toString(b);
    }
}
