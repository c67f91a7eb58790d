package dev.anvil.cli;

import dev.anvil.MemoryScope;
import dev.anvil.Tensor;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * Times one benchmark case: warm-up until calls stop getting faster, then {@code measurements} timed batches
 * of calls, each batch sized so it lasts about {@code targetNanos}; the result is the median time of one
 * call. Every call runs in its own {@link MemoryScope}, so its output is freed at once and memory stays flat.
 *
 * @param warmupNanos the length of one warm-up round (rounds repeat while calls keep getting faster)
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
        // Warm up in rounds of warmupNanos until a round is no longer 10% faster per call than the one before
        // (at most ten rounds): a cold kernel runs interpreted, and on a busy machine the JIT takes a while.
        long lastCall = Long.MAX_VALUE;
        for (int round = 0; round < 10; round++) {
            long r0 = System.nanoTime();
            long n = 0;
            long elapsed;
            do {
                callInScope(op);
                n++;
                elapsed = System.nanoTime() - r0;
            } while (elapsed < warmupNanos);
            long perCall = elapsed / n;
            boolean improving = perCall < lastCall * 0.9;
            lastCall = Math.min(lastCall, perCall);
            if (!improving && round > 0) {
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
