package dev.anvil.bench.report;

import dev.anvil.bench.Work;

/**
 * A JMH result turned into the rate a person reads: GFLOP/s, GB/s or samples/s from the declared {@link Work}, with
 * JMH's 99.9% confidence interval carried over to first order (rate error = rate * scoreError / score), or the
 * bare time when the benchmark declares no work.
 *
 * @param result the JMH entry it comes from
 * @param work the declared work per operation, or null
 * @param kind what the rate measures
 * @param value the rate (or milliseconds per operation for {@link Kind#TIME})
 * @param error the half-width of its confidence interval, NaN when JMH gave none
 */
public record Figure(JmhResult result, Work work, Kind kind, double value, double error) {

    /** What a figure measures, with its unit. */
    public enum Kind {
        /** Floating-point work: GFLOP/s. */
        COMPUTE("GFLOP/s"),
        /** Memory traffic: GB/s (10^9 bytes). */
        MEMORY("GB/s"),
        /** Whole-model work: samples/s. */
        SAMPLES("samples/s"),
        /** No declared work: milliseconds per operation. */
        TIME("ms/op");

        private final String unit;

        Kind(String unit) {
            this.unit = unit;
        }

        /** The unit of this kind's values. */
        public String unit() {
            return unit;
        }
    }

    /** The figure of {@code r} with work {@code w} (null: time only). Samples win over FLOPs, FLOPs over bytes. */
    public static Figure of(JmhResult r, Work w) {
        if (w == null) {
            return new Figure(r, null, Kind.TIME, r.seconds() * 1e3, r.errorSeconds() * 1e3);
        }
        Kind kind = w.samples() > 0 ? Kind.SAMPLES : w.flops() > 0 ? Kind.COMPUTE : Kind.MEMORY;
        double perOp = switch (kind) {
            case SAMPLES -> w.samples();
            case COMPUTE -> w.flops() / 1e9;
            case MEMORY -> w.bytes() / 1e9;
            case TIME -> throw new AssertionError(kind);
        };
        double value = perOp * r.threads() / r.seconds();
        return new Figure(r, w, kind, value, value * r.errorSeconds() / r.seconds());
    }

    /** GFLOP/s of this figure's work when it declares FLOPs (also for samples), else NaN. */
    public double gflops() {
        return work != null && work.flops() > 0 ? work.flops() / 1e9 * result.threads() / result.seconds() : Double.NaN;
    }

    /** The error of {@link #gflops()}. */
    public double gflopsError() {
        return gflops() * result.errorSeconds() / result.seconds();
    }

    /** GB/s of this figure's work when it declares bytes, else NaN. */
    public double gbps() {
        return work != null && work.bytes() > 0 ? work.bytes() / 1e9 * result.threads() / result.seconds() : Double.NaN;
    }
}
