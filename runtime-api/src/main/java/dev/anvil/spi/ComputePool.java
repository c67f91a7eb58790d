package dev.anvil.spi;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import java.util.function.LongBinaryOperator;

/**
 * The process's one compute pool, shared by every CPU backend so that they never oversubscribe the
 * cores. Sized from {@code -Danvil.threads}, else {@code ANVIL_THREADS}, else the available processors;
 * initialised once on first use (one of the two pieces of static state the style guide allows).
 *
 * <pre>{@code
 * ComputePool.parallelFor(rows, 4096 / cols, (from, to) -> { for (long r = from; r < to; r++) ...; return 0; });
 * }</pre>
 */
public final class ComputePool {
    private static final int THREADS = configuredThreads();
    private static final ForkJoinPool POOL = THREADS > 1 ? new ForkJoinPool(THREADS) : null;

    private ComputePool() {
    }

    private static int configuredThreads() {
        String v = System.getProperty("anvil.threads");
        if (v == null || v.isBlank()) {
            v = System.getenv("ANVIL_THREADS");
        }
        if (v != null && !v.isBlank()) {
            try {
                int n = Integer.parseInt(v.trim());
                if (n >= 1) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
            throw new IllegalArgumentException("anvil.threads / ANVIL_THREADS must be a positive integer, got '" + v + "'");
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /** Number of threads kernels may use. */
    public static int threads() {
        return THREADS;
    }

    /**
     * Runs {@code body(from, to)} over {@code [0, n)} split into at most {@link #threads()} contiguous chunks
     * of at least {@code minChunk} items, on the calling thread when one chunk suffices (small ops do not
     * pay for a fork). Blocks until all chunks finish; an exception in any chunk is rethrown.
     */
    public static void parallelFor(long n, long minChunk, LongBinaryOperator body) {
        if (n <= 0) {
            return;
        }
        long chunks = Math.min(THREADS, Math.max(1, n / Math.max(1, minChunk)));
        if (chunks <= 1 || POOL == null || java.util.concurrent.ForkJoinTask.getPool() == POOL) {
            body.applyAsLong(0, n);
            return;
        }
        POOL.invoke(new Split(body, n, (int) chunks, 0, (int) chunks));
    }

    private static final class Split extends RecursiveAction {
        private static final long serialVersionUID = 1L;
        private final transient LongBinaryOperator body;
        private final long n;
        private final int chunks;
        private final int lo;
        private final int hi;

        Split(LongBinaryOperator body, long n, int chunks, int lo, int hi) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
            this.lo = lo;
            this.hi = hi;
        }

        @Override
        protected void compute() {
            if (hi - lo == 1) {
                body.applyAsLong(n * lo / chunks, n * (lo + 1) / chunks);
                return;
            }
            int mid = (lo + hi) >>> 1;
            invokeAll(new Split(body, n, chunks, lo, mid), new Split(body, n, chunks, mid, hi));
        }
    }
}
