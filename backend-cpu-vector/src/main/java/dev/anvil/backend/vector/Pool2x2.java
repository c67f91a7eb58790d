package dev.anvil.backend.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * 2x2 max pooling with stride 2 of ReLU outputs, in SIMD lanes, for {@link VectorConvEpilogue}: the same maxima
 * and the same positions as {@link dev.anvil.spi.MaxPoolLoops}, bit for bit, several times faster.
 *
 * <p>The trick: a window's two elements in a row are one 64-bit lane when a row is loaded as longs, so a 256-bit
 * register holds the top (or bottom) halves of four windows with no shuffling. After ReLU every value is +0, a
 * positive float, +inf or NaN; the bit patterns of the first three, read as integers, are ordered as the floats
 * are, so each window's first maximum in row-major order (the left of a row unless the right is larger, then the
 * top unless the bottom is larger) is found with integer compares and blends. A NaN is the one thing that order
 * does not give (the scalar kernel keeps a window's first NaN); its pattern is above +inf's, so a plane with a
 * NaN in a window is reported and pooled by the scalar kernel instead.
 *
 * <p>Backwards, each window's top and bottom pairs are built as longs holding the gradient in the low or the high
 * half (or neither), so every element of the plane is written once: no zero fill, no scatter, no branch.
 *
 * <p>Only on 256-bit (or wider) vector hardware ({@link #AVAILABLE}); the lanes are fixed at 256 bits.
 */
final class Pool2x2 {
    /** Whether the vector unit is at least 256 bits wide (AVX2, AVX-512, wide SVE); 128-bit NEON would emulate. */
    static final boolean AVAILABLE = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256;
    /** Floats a source plane needs beyond its end: a step may read up to 16 past the start of its last row. */
    static final int SLACK = 16;

    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Long> L4 = LongVector.SPECIES_256;
    private static final long LOW = 0xFFFF_FFFFL;
    private static final long HIGH = 0xFFFF_FFFF_0000_0000L;
    /** +inf's bits: larger (zero-extended) ones are NaN. */
    private static final long INF = 0x7F80_0000L;
    private static final LongVector ZERO = LongVector.zero(L4);
    private static final LongVector LOW_HALF = LongVector.broadcast(L4, LOW);
    private static final LongVector ONE = LongVector.broadcast(L4, 1);
    /** Position of each long lane's left element within a row, in floats. */
    private static final LongVector PAIRS = LongVector.fromArray(L4, new long[] {0, 2, 4, 6}, 0);
    /** Four outputs in low halves and four in high halves, as ints, back into output order. */
    private static final VectorShuffle<Integer> UNZIP =
            VectorShuffle.fromArray(IntVector.SPECIES_256, new int[] {0, 2, 4, 6, 1, 3, 5, 7}, 0);
    /** Each of four floats twice: [g0 g0 g1 g1 g2 g2 g3 g3]. */
    private static final VectorShuffle<Float> TWICE = VectorShuffle.fromArray(F8, new int[] {0, 0, 1, 1, 2, 2, 3, 3}, 0);

    private Pool2x2() {
    }

    /**
     * Pools a ReLU-output plane of width {@code w} into {@code oh x ow} maxima and their positions in the plane.
     *
     * @param act the plane from 0, every value +0, positive or NaN, with {@link #SLACK} readable floats after it
     * @param values the maxima, row-major; room for {@code oh * ow + 8} (a short row's step writes 8)
     * @param at the maxima's positions in the plane; room for {@code oh * ow + 8}
     * @return false when a window held a NaN: the results are then incomplete and the caller pools the plane with
     *         the scalar kernel
     */
    static boolean forward(float[] act, int w, int oh, int ow, float[] values, long[] at) {
        LongVector wide = LongVector.broadcast(L4, w);
        LongVector wideRight = LongVector.broadcast(L4, w + 1);
        VectorMask<Long> nan = L4.maskAll(false);
        for (int i = 0; i < oh; i++) {
            int top = 2 * i * w;
            int bottom = top + w;
            // Eight outputs a step, four per register; the last step of a row overlaps the one before (it rewrites
            // equal values), and a row shorter than eight computes lanes past its end that the next row (or the
            // slack) overwrites. The two calls per half repeat the same loads and compares, which C2 computes once
            // (the same speed as one body written out, measured).
            for (int j0 = 0;; j0 += 8) {
                int j = ow >= 8 ? Math.min(j0, ow - 8) : 0;
                LongVector first = windows(act, top + 2 * j, bottom + 2 * j, wide, wideRight, false);
                LongVector second = windows(act, top + 2 * j + 8, bottom + 2 * j + 8, wide, wideRight, false);
                LongVector firstAt = windows(act, top + 2 * j, bottom + 2 * j, wide, wideRight, true);
                LongVector secondAt = windows(act, top + 2 * j + 8, bottom + 2 * j + 8, wide, wideRight, true);
                nan = nan.or(first.compare(VectorOperators.GT, INF)).or(second.compare(VectorOperators.GT, INF));
                int o = i * ow + j;
                first.or(second.lanewise(VectorOperators.LSHL, 32)).reinterpretAsInts().rearrange(UNZIP)
                        .reinterpretAsFloats().intoArray(values, o);
                long base = top + 2L * j;
                firstAt.add(PAIRS).add(base).intoArray(at, o);
                secondAt.add(PAIRS).add(base + 8).intoArray(at, o + 4);
                if (j0 + 8 >= ow) {
                    break;
                }
            }
        }
        return !nan.anyTrue();
    }

    /**
     * For the four windows whose top-left elements are at {@code top} and, a row below, {@code bottom}: their
     * maxima, or with {@code positions} where in each window the maximum is: 0 (top left) unless the top right is
     * larger (1), then that unless the larger of the bottom pair is larger still ({@code wide} or
     * {@code wideRight}). Called twice per step with a constant flag, it inlines into one computation.
     */
    private static LongVector windows(float[] act, int top, int bottom, LongVector wide, LongVector wideRight,
                                      boolean positions) {
        LongVector t = FloatVector.fromArray(F8, act, top).reinterpretAsLongs();
        LongVector b = FloatVector.fromArray(F8, act, bottom).reinterpretAsLongs();
        LongVector tl = t.and(LOW_HALF);
        LongVector th = t.lanewise(VectorOperators.LSHR, 32);
        LongVector bl = b.and(LOW_HALF);
        LongVector bh = b.lanewise(VectorOperators.LSHR, 32);
        VectorMask<Long> right = th.compare(VectorOperators.GT, tl);
        VectorMask<Long> belowRight = bh.compare(VectorOperators.GT, bl);
        LongVector tm = tl.blend(th, right);
        LongVector bm = bl.blend(bh, belowRight);
        VectorMask<Long> below = bm.compare(VectorOperators.GT, tm);
        return positions ? ZERO.blend(ONE, right).blend(wide.blend(wideRight, belowRight), below) : tm.blend(bm, below);
    }

    /**
     * Writes the gradient of a pooled ReLU plane back to every element of the {@code w}-wide input plane: each
     * window's position {@code at} gets the output's gradient when its pooled value is above 0, every other
     * element 0. Rows and columns no window covers (odd sizes) are left to the caller.
     *
     * @param grad the pooled gradients, row-major, with 4 readable floats after them
     * @param value the pooled values, the same shape and slack
     * @param at positions in the plane, as {@link #forward} gives them
     * @return false when a position is not one of its window's four elements: nothing is then guaranteed about
     *         {@code block} and the caller scatters the plane with the scalar loop (which checks each position)
     */
    static boolean backward(float[] grad, float[] value, long[] at, int w, int oh, int ow, float[] block) {
        LongVector wide = LongVector.broadcast(L4, w);
        LongVector wideRight = LongVector.broadcast(L4, w + 1);
        LongVector low = LongVector.broadcast(L4, LOW);
        LongVector high = LongVector.broadcast(L4, HIGH);
        FloatVector none = FloatVector.zero(F8);
        boolean inWindows = true;
        for (int i = 0; i < oh; i++) {
            int top = 2 * i * w;
            for (int j0 = 0;; j0 += 4) {
                int j = Math.min(j0, ow - 4);
                int o = i * ow + j;
                FloatVector g = FloatVector.fromArray(F8, grad, o);
                g = none.blend(g, FloatVector.fromArray(F8, value, o).compare(VectorOperators.GT, 0f));
                LongVector both = g.rearrange(TWICE).reinterpretAsLongs();
                LongVector rel = LongVector.fromArray(L4, at, o).sub(PAIRS).sub(top + 2L * j);
                VectorMask<Long> left = rel.compare(VectorOperators.EQ, 0L);
                VectorMask<Long> right = rel.compare(VectorOperators.EQ, ONE);
                VectorMask<Long> belowLeft = rel.compare(VectorOperators.EQ, wide);
                VectorMask<Long> belowRight = rel.compare(VectorOperators.EQ, wideRight);
                inWindows &= left.or(right).or(belowLeft).or(belowRight).allTrue();
                both.and(ZERO.blend(low, left).blend(high, right)).reinterpretAsFloats().intoArray(block, top + 2 * j);
                both.and(ZERO.blend(low, belowLeft).blend(high, belowRight)).reinterpretAsFloats()
                        .intoArray(block, top + w + 2 * j);
                if (j0 + 4 >= ow) {
                    break;
                }
            }
        }
        return inWindows;
    }
}
