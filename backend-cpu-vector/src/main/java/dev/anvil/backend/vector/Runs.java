package dev.anvil.backend.vector;

import dev.anvil.spi.ComputePool;
import dev.anvil.spi.Layout;
import dev.anvil.spi.StridedIter;
import java.util.function.IntConsumer;
import java.util.function.LongBinaryOperator;

/**
 * Walks same-shaped strided operands one innermost run at a time (see {@link StridedIter}) and, above
 * {@link #GRAIN} elements, spreads the runs, or pieces of one long run, over the compute pool.
 */
final class Runs {
    /**
     * Fewest elements of streaming work (one add: read two floats, write one) worth handing to another
     * thread; ops under twice this stay on the calling thread. Measured with a throwaway timing main on the
     * 2-core build machine: a fork-join round trip to a parked worker cost 10 us when idle and 25-40 us
     * under load, while a single-threaded add took 6 us for 32K floats, 13 us for 64K and 25 us for 128K.
     * So an op must take some 25 us alone before halving it pays: 64K here. Costlier kernels (exp, gelu,
     * softmax) pass a work weight so they split earlier. {@code -Danvil.vector.grain=N} overrides it.
     */
    static final long GRAIN = Math.max(1, Long.getLong("anvil.vector.grain", 1 << 16));

    private Runs() {
    }

    /** One run: {@code n} elements starting at element {@code off[k]} and stepping {@code str[k]} in operand k. */
    @FunctionalInterface
    interface Body {
        void run(long[] off, long[] str, int n);
    }

    /** Calls {@code body} on every run of {@code shape} over {@code layouts}, in parallel when large. */
    static void forEach(int[] shape, Body body, Layout... layouts) {
        forEach(shape, 1, body, layouts);
    }

    /**
     * As {@link #forEach(int[], Body, Layout...)} where each element of {@code shape} stands for {@code work}
     * elements of work (a reduction's output element, say), so the split is sized by work, not by count.
     */
    static void forEach(int[] shape, long work, Body body, Layout... layouts) {
        long count = Layout.numel(shape);
        if (count == 0) {
            return;
        }
        long w = Math.max(1, work);
        long numel = count > Long.MAX_VALUE / w ? Long.MAX_VALUE : count * w;
        int k = layouts.length;
        StridedIter it = new StridedIter(shape, layouts);
        long runs = it.runs();
        int inner = it.inner();
        int threads = ComputePool.threads();
        if (numel < 2 * GRAIN || threads == 1) {
            sequential(it, body, k, 0, runs);
            return;
        }
        if (runs >= 4L * threads || (long) inner * w < GRAIN) {
            ComputePool.parallelFor(runs, Math.max(1, GRAIN / ((long) inner * w)), (from, to) -> {
                sequential(new StridedIter(shape, layouts), body, k, from, to);
                return 0;
            });
            return;
        }
        // A few long runs (a dense tensor is one): split each run itself.
        long[] str = new long[k];
        for (int j = 0; j < k; j++) {
            str[j] = it.innerStride(j);
        }
        while (it.hasNext()) {
            it.next();
            long[] base = new long[k];
            for (int j = 0; j < k; j++) {
                base[j] = it.offset(j);
            }
            ComputePool.parallelFor(inner, Math.max(1, GRAIN / w), (from, to) -> {
                long[] off = new long[k];
                for (int j = 0; j < k; j++) {
                    off[j] = base[j] + from * str[j];
                }
                body.run(off, str, (int) (to - from));
                return 0;
            });
        }
    }

    /** Runs number {@code from} (inclusive) to {@code to} (exclusive) of a fresh iterator, on this thread. */
    private static void sequential(StridedIter it, Body body, int k, long from, long to) {
        long[] off = new long[k];
        long[] str = new long[k];
        for (int j = 0; j < k; j++) {
            str[j] = it.innerStride(j);
        }
        int inner = it.inner();
        if (from == 0) {
            it.next();
        } else {
            it.seek(from);
        }
        for (long r = from; r < to; r++) {
            if (r > from) {
                it.next();
            }
            for (int j = 0; j < k; j++) {
                off[j] = it.offset(j);
            }
            body.run(off, str, inner);
        }
    }

    /** {@code body(from, to)} over {@code [0, n)} items of {@code work} elements each, in parallel when large. */
    static void parallel(long n, long work, LongBinaryOperator body) {
        long perItem = Math.max(1, work);
        if (n <= 0) {
            return;
        }
        if (n * perItem < 2 * GRAIN || ComputePool.threads() == 1) {
            body.applyAsLong(0, n);
            return;
        }
        ComputePool.parallelFor(n, Math.max(1, GRAIN / perItem), body);
    }

    /**
     * How many pieces to cut {@code work} elements into: one per thread, but none smaller than {@link #GRAIN}.
     * Pieces let a reduction keep one partial result per piece and combine them in a fixed order.
     */
    static int pieces(long work) {
        return (int) Math.max(1, Math.min(ComputePool.threads(), work / GRAIN));
    }

    /** Runs {@code body(p)} for each piece {@code p < pieces}, each on its own pool thread. */
    static void eachPiece(int pieces, IntConsumer body) {
        if (pieces == 1) {
            body.accept(0);
            return;
        }
        ComputePool.parallelFor(pieces, 1, (from, to) -> {
            for (long p = from; p < to; p++) {
                body.accept((int) p);
            }
            return 0;
        });
    }
}
