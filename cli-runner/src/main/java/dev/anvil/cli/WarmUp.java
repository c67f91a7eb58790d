package dev.anvil.cli;

/**
 * Warms a call up until the JIT is done with it: rounds of calls until a round is no longer 5% faster per call
 * than the best round before it. A fixed warm-up is not enough for Anvil's Vector API kernels: C2 takes seconds to
 * compile all of them, and until it has, they run up to 1000x slower (the int8 kernel at batch 1, measured).
 */
public final class WarmUp {
    private WarmUp() {
    }

    /**
     * Runs {@code call} in rounds of at least {@code roundNanos} (one call at least) until a round runs no faster
     * than 0.95 x the best so far, after at least {@code minNanos} in all, and for at most {@code maxNanos}.
     */
    public static void untilSteady(Runnable call, long minNanos, long maxNanos, long roundNanos) {
        long start = System.nanoTime();
        double best = Double.MAX_VALUE;
        while (true) {
            long r0 = System.nanoTime();
            long calls = 0;
            do {
                call.run();
                calls++;
            } while (System.nanoTime() - r0 < roundNanos);
            double perCall = (System.nanoTime() - r0) / (double) calls;
            long elapsed = System.nanoTime() - start;
            if (elapsed >= maxNanos || (elapsed >= minNanos && perCall > 0.95 * best)) {
                return;
            }
            best = Math.min(best, perCall);
        }
    }
}
