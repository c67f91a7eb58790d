package dev.anvil.cli;

import dev.anvil.MemoryScope;
import dev.anvil.Tensor;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * Times one benchmark case: warm-up, then {@code measurements} timed batches of calls, each batch sized so
 * it lasts about {@code targetNanos}; the result is the median time of one call. Every call runs in its own
 * {@link MemoryScope}, so its output is freed at once and memory stays flat.
 *
 * @param warmupNanos warm up for at least this long (longer while call times still fall)
 * @param targetNanos the length of one timed batch
 * @param measurements number of timed batches (fewer when one call alone is very slow)
 */
record Stopwatch(long warmupNanos, long targetNanos, int measurements) {
    /** One call slower than this gets at most three measurements. */
    private static final long SLOW_CALL_NANOS = 500_000_000L;

    /**
     * The outcome of one case.
     *
     * @param nanosPerCall median time of one call
     * @param measurements timed batches taken
     * @param callsPerMeasurement calls in each batch
     */
    record Timing(double nanosPerCall, int measurements, long callsPerMeasurement) {
    }

    Timing time(Supplier<Tensor> op) {
        // Warm up for warmupNanos, and beyond (up to ten times as long) until at least three calls have run and
        // the last one is close to the best: the first calls of a cold kernel can be 100x slower than compiled.
        long warmStart = System.nanoTime();
        long lastCall;
        long bestCall = Long.MAX_VALUE;
        int warmCalls = 0;
        while (true) {
            long t0 = System.nanoTime();
            callInScope(op);
            lastCall = System.nanoTime() - t0;
            bestCall = Math.min(bestCall, lastCall);
            warmCalls++;
            long elapsed = System.nanoTime() - warmStart;
            boolean settled = warmCalls >= 3 && lastCall <= bestCall * 1.5;
            if (elapsed >= warmupNanos && (settled || elapsed >= 10 * warmupNanos)) {
                break;
            }
        }
        long calls = Math.max(1, Math.round(targetNanos / (double) Math.max(1, lastCall)));
        int m = lastCall > SLOW_CALL_NANOS ? Math.min(measurements, 3) : measurements;
        double[] perCall = new double[m];
        for (int i = 0; i < m; i++) {
            long t0 = System.nanoTime();
            for (long c = 0; c < calls; c++) {
                callInScope(op);
            }
            perCall[i] = (System.nanoTime() - t0) / (double) calls;
        }
        return new Timing(median(perCall), m, calls);
    }

    private static void callInScope(Supplier<Tensor> op) {
        try (var _ = MemoryScope.open("bench call")) {
            op.get();
        }
    }

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
}
