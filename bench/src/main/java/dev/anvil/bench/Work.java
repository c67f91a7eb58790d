package dev.anvil.bench;

/**
 * The work one benchmark operation does, so the report can turn JMH's time per operation into a rate:
 * GFLOP/s from {@code flops}, GB/s from {@code bytes}, samples/s from {@code samples}. A figure that does not
 * apply is 0. Counts are per operation of one thread; with several JMH threads the report multiplies by them.
 *
 * <pre>{@code
 * Work w = Work.flops(2.0 * n * n * n);          // a square GEMM
 * Work t = Work.flops(6.0e9).withSamples(128);   // a training step on a batch of 128
 * }</pre>
 *
 * @param flops floating-point operations (a fused multiply-add counts 2)
 * @param bytes bytes read plus bytes written, each counted once (STREAM's convention)
 * @param samples examples processed (training and inference)
 */
public record Work(double flops, double bytes, double samples) {
    /** Checks the counts are finite and non-negative, and that one of them is positive. */
    public Work {
        if (!(flops >= 0 && bytes >= 0 && samples >= 0) || Double.isInfinite(flops + bytes + samples)
                || flops + bytes + samples == 0) {
            throw new IllegalArgumentException("Work needs finite, non-negative counts with one positive, got flops="
                    + flops + ", bytes=" + bytes + ", samples=" + samples);
        }
    }

    /** Compute-bound work: {@code n} floating-point operations. */
    public static Work flops(double n) {
        return new Work(n, 0, 0);
    }

    /** Memory-bound work: {@code n} bytes moved. */
    public static Work bytes(double n) {
        return new Work(0, n, 0);
    }

    /** The same work, also counting {@code n} samples. */
    public Work withSamples(double n) {
        return new Work(flops, bytes, n);
    }
}
