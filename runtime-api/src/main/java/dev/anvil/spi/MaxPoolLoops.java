package dev.anvil.spi;

import dev.anvil.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The scalar {@link MaxPool} kernel over a range of planes, shared by the CPU backends. Windows of any sign of
 * value, any size and stride: SIMD lanes would need the windows' elements side by side, which costs shuffles that
 * ate the gain here. (The cpu-vector backend's fused conv epilogue pools ReLU outputs, which are never negative,
 * 2x2 with stride 2 in SIMD lanes by a trick that needs exactly that; it falls back to {@link #poolPlane}.)
 */
public final class MaxPoolLoops implements MaxPool {
    /** F32 planes up to this many elements are pooled from a heap copy; larger ones (and F64) in place. */
    private static final int PLANE_MAX = 1 << 22;

    private final boolean parallel;

    /** @param parallel split the planes over the {@link ComputePool} */
    public MaxPoolLoops(boolean parallel) {
        this.parallel = parallel;
    }

    @Override
    public void maxPool2d(View x, ConvGeometry g, View out, View indices) {
        long planes = (long) g.n() * g.c();
        long perPlane = (long) g.h() * g.w();
        if (parallel) {
            ComputePool.parallelFor(planes, Math.max(1, (1 << 15) / Math.max(1, perPlane)), (from, to) -> {
                run(x, g, out, indices, from, to);
                return 0;
            });
        } else {
            run(x, g, out, indices, 0, planes);
        }
    }

    private static void run(View x, ConvGeometry g, View out, View indices, long from, long to) {
        if (x.dtype() == DType.F32 && (long) g.h() * g.w() <= PLANE_MAX) {
            runF32(x, g, out, indices, from, to);
            return;
        }
        runInPlace(x, g, out, indices, from, to);
    }

    /**
     * F32 through heap copies of a few planes at a time and of their results: one bulk copy in and two out per
     * group, so the window loop reads plain arrays (element-wise segment reads cost several times more here,
     * and so did three copies per plane for small planes).
     */
    private static void runF32(View x, ConvGeometry g, View out, View indices, long from, long to) {
        MemorySegment xs = x.segment();
        MemorySegment os = out.segment();
        MemorySegment is = indices.segment();
        int h = g.h();
        int w = g.w();
        int oh = g.outH();
        int ow = g.outW();
        int k = g.kh();
        int kw = g.kw();
        int s = g.strideH();
        int sw = g.strideW();
        int inPlane = h * w;
        int outPlane = oh * ow;
        int group = (int) Math.max(1, Math.min(to - from, (1 << 14) / Math.max(1, inPlane)));
        float[] planes = new float[group * inPlane];
        float[] values = new float[group * outPlane];
        long[] at = new long[group * outPlane];
        for (long p = from; p < to; p += group) {
            int count = (int) Math.min(group, to - p);
            MemorySegment.copy(xs, ValueLayout.JAVA_FLOAT, (x.offset() + p * inPlane) * 4, planes, 0, count * inPlane);
            for (int q = 0; q < count; q++) {
                poolPlane(planes, q * inPlane, g, values, at, q * outPlane);
            }
            MemorySegment.copy(values, 0, os, ValueLayout.JAVA_FLOAT, (out.offset() + p * outPlane) * 4, count * outPlane);
            MemorySegment.copy(at, 0, is, ValueLayout.JAVA_LONG, (indices.offset() + p * outPlane) * 8, count * outPlane);
        }
    }

    /**
     * Pools one F32 plane of {@code g}'s {@code h x w} held in {@code plane} from {@code in}: the maxima go to
     * {@code values} and their positions in the plane to {@code at}, from {@code o} on, as {@link #maxPool2d} does.
     */
    public static void poolPlane(float[] plane, int in, ConvGeometry g, float[] values, long[] at, int o) {
        if (g.kh() == 2 && g.kw() == 2) {
            pool2x2(plane, in, g.w(), g.outH(), g.outW(), g.strideH(), g.strideW(), values, at, o);
        } else {
            pool(plane, in, g.w(), g.outH(), g.outW(), g.kh(), g.kw(), g.strideH(), g.strideW(), values, at, o);
        }
    }

    /**
     * The 2x2 window unrolled (a loop of two trips costs more than its body): the first maximum of each row,
     * then of the two. {@code larger} is 0 or 1 and compiles without a jump (see {@link #pool}). Positions are
     * inside the plane that starts at {@code in}; results go from {@code o} on.
     */
    private static void pool2x2(float[] plane, int in, int w, int oh, int ow, int s, int sw, float[] values, long[] at,
                                int o) {
        for (int i = 0; i < oh; i++) {
            for (int j = 0; j < ow; j++) {
                int c = i * s * w + j * sw;
                int top = c + larger(plane[in + c], plane[in + c + 1]);
                int bottom = c + w + larger(plane[in + c + w], plane[in + c + w + 1]);
                int best = top + larger(plane[in + top], plane[in + bottom]) * (bottom - top);
                values[o + i * ow + j] = plane[in + best];
                at[o + i * ow + j] = best;
            }
        }
    }

    /** 1 when {@code v} replaces {@code best} as the first maximum in order: larger, or the first NaN. */
    private static int larger(float best, float v) {
        return (v > best | (v != v & best == best)) ? 1 : 0;
    }

    /** Any window, as {@link #pool2x2} but with the window's loops. */
    private static void pool(float[] plane, int in, int w, int oh, int ow, int k, int kw, int s, int sw, float[] values,
                             long[] at, int o) {
        for (int i = 0; i < oh; i++) {
            for (int j = 0; j < ow; j++) {
                int best = i * s * w + j * sw;
                float bestV = plane[in + best];
                // Once bestV is NaN nothing is taken, as with the early exit in place. No jumps: activations
                // compare at random, and mispredicted branches made this loop several times slower; the value
                // follows the 0/1 choice as integer arithmetic on its bits.
                for (int a = 0; a < k; a++) {
                    int rowStart = (i * s + a) * w + j * sw;
                    for (int b = 0; b < kw; b++) {
                        float v = plane[in + rowStart + b];
                        int take = larger(bestV, v);
                        best += take * (rowStart + b - best);
                        int bits = Float.floatToRawIntBits(bestV);
                        bestV = Float.intBitsToFloat(bits + take * (Float.floatToRawIntBits(v) - bits));
                    }
                }
                values[o + i * ow + j] = bestV;
                at[o + i * ow + j] = best;
            }
        }
    }

    private static void runInPlace(View x, ConvGeometry g, View out, View indices, long from, long to) {
        MemorySegment xs = x.segment();
        MemorySegment os = out.segment();
        MemorySegment is = indices.segment();
        boolean f32 = x.dtype() == DType.F32;
        int h = g.h();
        int w = g.w();
        int oh = g.outH();
        int ow = g.outW();
        int k = g.kh();
        int kw = g.kw();
        int s = g.strideH();
        int sw = g.strideW();
        for (long p = from; p < to; p++) {
            long xBase = x.offset() + p * h * w;
            long oBase = out.offset() + p * oh * ow;
            long iBase = indices.offset() + p * oh * ow;
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    int best = i * s * w + j * sw;
                    double bestV = f32 ? xs.getAtIndex(ValueLayout.JAVA_FLOAT, xBase + best)
                            : xs.getAtIndex(ValueLayout.JAVA_DOUBLE, xBase + best);
                    for (int a = 0; a < k && !Double.isNaN(bestV); a++) {
                        for (int b = 0; b < kw; b++) {
                            int at = (i * s + a) * w + j * sw + b;
                            double v = f32 ? xs.getAtIndex(ValueLayout.JAVA_FLOAT, xBase + at)
                                    : xs.getAtIndex(ValueLayout.JAVA_DOUBLE, xBase + at);
                            if (v > bestV || Double.isNaN(v)) {
                                bestV = v;
                                best = at;
                                if (Double.isNaN(v)) {
                                    break;
                                }
                            }
                        }
                    }
                    long o = i * ow + j;
                    if (f32) {
                        os.setAtIndex(ValueLayout.JAVA_FLOAT, oBase + o, (float) bestV);
                    } else {
                        os.setAtIndex(ValueLayout.JAVA_DOUBLE, oBase + o, bestV);
                    }
                    is.setAtIndex(ValueLayout.JAVA_LONG, iBase + o, best);
                }
            }
        }
    }
}
