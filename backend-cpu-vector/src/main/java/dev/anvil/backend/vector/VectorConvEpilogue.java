package dev.anvil.backend.vector;

import static dev.anvil.backend.vector.Simd.D;
import static dev.anvil.backend.vector.Simd.F;
import static dev.anvil.backend.vector.Simd.F32;
import static dev.anvil.backend.vector.Simd.FH;
import static dev.anvil.backend.vector.Simd.NO;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.anvil.DType;
import dev.anvil.spi.ConvEpilogue;
import dev.anvil.spi.ConvGeometry;
import dev.anvil.spi.MaxPoolLoops;
import dev.anvil.spi.View;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * F32 {@link ConvEpilogue}: forwards, each {@code [L]} block of the channel-major product moves to its NCHW place
 * with the bias added and ReLU applied on the way; backwards, each channel's gradient blocks are masked by the
 * ReLU output, moved back to channel-major and summed for the bias, in one pass. With pooling, each block is
 * pooled on the way from a heap copy: 2x2 windows with stride 2 (the common case) in SIMD lanes by
 * {@link Pool2x2}, other windows (and planes with a NaN) by the scalar {@link MaxPoolLoops}.
 */
final class VectorConvEpilogue implements ConvEpilogue {

    @Override
    public boolean supports(DType dtype) {
        return dtype == DType.F32;
    }

    @Override
    public void forward(View y, View bias, View z, boolean relu) {
        int[] s = z.shape();
        require("forward", s.length == 3 && y.shape().length == 3 && y.shape()[0] == s[1] && y.shape()[1] == s[0]
                && y.shape()[2] == s[2] && (bias == null || bias.numel() == s[1]), y, bias, z);
        requireF32("forward", y, bias, z);
        int n = s[0];
        int out = s[1];
        int plane = s[2];
        MemorySegment ys = y.segment();
        MemorySegment zs = z.segment();
        MemorySegment bs = bias == null ? null : bias.segment();
        long yo = y.offset();
        long zo = z.offset();
        long bo = bias == null ? 0 : bias.offset();
        int lanes = F.length();
        Runs.parallel((long) out * n, plane, (from, to) -> {
            for (long block = from; block < to; block++) {
                int c = (int) (block / n);
                int i = (int) (block % n);
                long src = yo + block * plane;
                long dst = zo + ((long) i * out + c) * plane;
                float b = bs == null ? 0f : bs.getAtIndex(F32, bo + c);
                int l = 0;
                for (int up = plane - plane % lanes; l < up; l += lanes) {
                    FloatVector v = FloatVector.fromMemorySegment(F, ys, (src + l) * 4, NO);
                    if (bs != null) {
                        v = v.add(b);
                    }
                    if (relu) {
                        v = v.max(0f); // max keeps NaN, as the relu kernels do
                    }
                    v.intoMemorySegment(zs, (dst + l) * 4, NO);
                }
                for (; l < plane; l++) {
                    float v = ys.getAtIndex(F32, src + l);
                    if (bs != null) {
                        v += b;
                    }
                    zs.setAtIndex(F32, dst + l, relu ? Math.max(v, 0f) : v);
                }
            }
            return 0;
        });
    }

    @Override
    public void backward(View g, View z, View gy, View biasGrad) {
        int[] s = g.shape();
        require("backward", s.length == 3 && gy.shape().length == 3 && gy.shape()[0] == s[1] && gy.shape()[1] == s[0]
                && gy.shape()[2] == s[2] && (z == null || Arrays.equals(z.shape(), s))
                && (biasGrad == null || biasGrad.numel() == s[1]), g, z, gy, biasGrad);
        requireF32("backward", g, z, gy, biasGrad);
        int n = s[0];
        int out = s[1];
        int plane = s[2];
        MemorySegment gs = g.segment();
        MemorySegment zs = z == null ? null : z.segment();
        MemorySegment ys = gy.segment();
        long go = g.offset();
        long zo = z == null ? 0 : z.offset();
        long yo = gy.offset();
        int lanes = F.length();
        FloatVector zero = FloatVector.zero(F);
        Runs.parallel(out, (long) n * plane, (from, to) -> {
            for (int c = (int) from; c < to; c++) {
                DoubleVector lo = DoubleVector.zero(D);
                DoubleVector hi = lo;
                double tail = 0;
                for (int i = 0; i < n; i++) {
                    long src = ((long) i * out + c) * plane;
                    long dst = yo + ((long) c * n + i) * plane;
                    int l = 0;
                    for (int up = plane - plane % lanes; l < up; l += lanes) {
                        FloatVector v = FloatVector.fromMemorySegment(F, gs, (go + src + l) * 4, NO);
                        if (zs != null) {
                            FloatVector zv = FloatVector.fromMemorySegment(F, zs, (zo + src + l) * 4, NO);
                            v = zero.blend(v, zv.compare(VectorOperators.GT, 0f));
                        }
                        v.intoMemorySegment(ys, (dst + l) * 4, NO);
                        lo = lo.add(v.convertShape(VectorOperators.F2D, D, 0));
                        hi = hi.add(v.convertShape(VectorOperators.F2D, D, 1));
                    }
                    for (; l < plane; l++) {
                        float v = gs.getAtIndex(F32, go + src + l);
                        if (zs != null && !(zs.getAtIndex(F32, zo + src + l) > 0)) {
                            v = 0f;
                        }
                        ys.setAtIndex(F32, dst + l, v);
                        tail += v;
                    }
                }
                if (biasGrad != null) {
                    biasGrad.segment().setAtIndex(F32, biasGrad.offset() + c, (float) (Simd.sum(lo.add(hi)) + tail));
                }
            }
            return 0;
        });
    }

    @Override
    public void forwardPool(View y, View bias, ConvGeometry pool, View z, View indices) {
        int[] s = z.shape();
        int plane = pool.h() * pool.w();
        int pooled = pool.outH() * pool.outW();
        require("forwardPool", s.length == 3 && s[2] == pooled && y.shape().length == 3 && y.shape()[0] == s[1]
                && y.shape()[1] == s[0] && y.shape()[2] == plane && Arrays.equals(indices.shape(), s)
                && (bias == null || bias.numel() == s[1]) && pool.padH() == 0 && pool.padW() == 0
                && pool.dilationH() == 1 && pool.dilationW() == 1, y, bias, z, indices);
        requireF32("forwardPool", y, bias, z);
        requireIndices("forwardPool", indices);
        int n = s[0];
        int out = s[1];
        MemorySegment ys = y.segment();
        MemorySegment bs = bias == null ? null : bias.segment();
        int lanes = F.length();
        boolean vector = windows2x2(pool);
        Runs.parallel((long) out * n, plane, (from, to) -> {
            float[] act = new float[plane + Pool2x2.SLACK];
            float[] values = new float[pooled + 8];
            long[] at = new long[pooled + 8];
            for (long block = from; block < to; block++) {
                int c = (int) (block / n);
                int i = (int) (block % n);
                MemorySegment.copy(ys, F32, (y.offset() + block * plane) * 4, act, 0, plane);
                float b = bs == null ? 0f : bs.getAtIndex(F32, bias.offset() + c);
                int l = 0;
                for (int up = plane - plane % lanes; l < up; l += lanes) {
                    FloatVector v = FloatVector.fromArray(F, act, l);
                    (bs == null ? v : v.add(b)).max(0f).intoArray(act, l);
                }
                for (; l < plane; l++) {
                    act[l] = Math.max(bs == null ? act[l] : act[l] + b, 0f);
                }
                pool(act, pool, vector, values, at, z, indices, (long) i * out + c);
            }
            return 0;
        });
    }

    @Override
    public void backwardPool(View g, View z, View indices, ConvGeometry pool, View gy, View biasGrad) {
        int[] s = g.shape();
        int plane = pool.h() * pool.w();
        int pooled = pool.outH() * pool.outW();
        require("backwardPool", s.length == 3 && s[2] == pooled && Arrays.equals(z.shape(), s)
                && Arrays.equals(indices.shape(), s) && gy.shape().length == 3 && gy.shape()[0] == s[1]
                && gy.shape()[1] == s[0] && gy.shape()[2] == plane && (biasGrad == null || biasGrad.numel() == s[1]),
                g, z, indices, gy, biasGrad);
        requireF32("backwardPool", g, z, gy, biasGrad);
        requireIndices("backwardPool", indices);
        int n = s[0];
        int out = s[1];
        MemorySegment ys = gy.segment();
        boolean vector = windows2x2(pool) && pool.outW() >= 4;
        Runs.parallel(out, (long) n * plane, (from, to) -> {
            float[] block = new float[plane];
            float[] grad = new float[pooled + 8];
            float[] value = new float[pooled + 8];
            long[] at = new long[pooled];
            for (int c = (int) from; c < to; c++) {
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    unpool(g, z, indices, (long) i * out + c, pool, vector, grad, value, at, block, i, c);
                    sum += reluMaskedSum(grad, value, pooled);
                    MemorySegment.copy(block, 0, ys, F32, (gy.offset() + ((long) c * n + i) * plane) * 4, plane);
                }
                if (biasGrad != null) {
                    biasGrad.segment().setAtIndex(F32, biasGrad.offset() + c, (float) sum);
                }
            }
            return 0;
        });
    }

    /**
     * Pools the ReLU plane {@code act} ({@link Pool2x2} when {@code vector} and it can, else the scalar kernel) and
     * stores the maxima and their positions as plane {@code dst} of {@code z} and {@code indices}.
     */
    static void pool(float[] act, ConvGeometry pool, boolean vector, float[] values, long[] at, View z, View indices,
                     long dst) {
        if (!vector || !Pool2x2.forward(act, pool.w(), pool.outH(), pool.outW(), values, at)) {
            MaxPoolLoops.poolPlane(act, 0, pool, values, at, 0);
        }
        int pooled = pool.outH() * pool.outW();
        MemorySegment.copy(values, 0, z.segment(), F32, (z.offset() + dst * pooled) * 4, pooled);
        MemorySegment.copy(at, 0, indices.segment(), JAVA_LONG, (indices.offset() + dst * pooled) * 8, pooled);
    }

    /**
     * Loads plane {@code src} of the pooled gradient {@code g}, values {@code z} and positions into {@code grad},
     * {@code value} and {@code at}, and writes the unpooled plane's gradient into {@code block}: by {@link Pool2x2}
     * when {@code vector} (zeroing first the edge its windows leave uncovered) and the positions allow, else by
     * {@link #scatter}. {@code (i, c)} names the plane in errors.
     */
    static void unpool(View g, View z, View indices, long src, ConvGeometry pool, boolean vector, float[] grad,
                       float[] value, long[] at, float[] block, int i, int c) {
        int pooled = pool.outH() * pool.outW();
        MemorySegment.copy(g.segment(), F32, (g.offset() + src * pooled) * 4, grad, 0, pooled);
        MemorySegment.copy(z.segment(), F32, (z.offset() + src * pooled) * 4, value, 0, pooled);
        MemorySegment.copy(indices.segment(), JAVA_LONG, (indices.offset() + src * pooled) * 8, at, 0, pooled);
        if (vector && (pool.h() != 2 * pool.outH() || pool.w() != 2 * pool.outW())) {
            Arrays.fill(block, 0f);
        }
        if (!vector || !Pool2x2.backward(grad, value, at, pool.w(), pool.outH(), pool.outW(), block)) {
            scatter(grad, value, at, pool, i, c, block);
        }
    }

    /**
     * The sum, in double, of the pooled gradients whose pooled value passed ReLU ({@code value > 0}): lanes, their
     * lane-ordered sum, then the tail (the same bits in every JIT tier).
     */
    static double reluMaskedSum(float[] grad, float[] value, int pooled) {
        DoubleVector sum = DoubleVector.zero(D);
        int o = 0;
        for (int up = pooled - pooled % FH.length(); o < up; o += FH.length()) {
            FloatVector v = FloatVector.fromArray(FH, grad, o);
            v = v.blend(0f, FloatVector.fromArray(FH, value, o).compare(VectorOperators.GT, 0f).not());
            sum = sum.add(v.convertShape(VectorOperators.F2D, D, 0));
        }
        double s = Simd.sum(sum);
        for (; o < pooled; o++) {
            s += value[o] > 0 ? grad[o] : 0;
        }
        return s;
    }

    /**
     * Each pooled gradient that passed ReLU added at its maximum's position in {@code block}, zeroed first; throws
     * for a position outside the plane (naming the plane {@code (i, c)}).
     */
    static void scatter(float[] grad, float[] value, long[] at, ConvGeometry pool, int i, int c, float[] block) {
        int plane = pool.h() * pool.w();
        int pooled = pool.outH() * pool.outW();
        Arrays.fill(block, 0f);
        for (int o = 0; o < pooled; o++) {
            long l = at[o];
            if (l < 0 || l >= plane) {
                throw new IllegalArgumentException("conv epilogue backwardPool: index " + l + " at output " + o
                        + " of plane (" + i + ", " + c + ") is outside the " + pool.h() + "x" + pool.w() + " plane");
            }
            if (value[o] > 0) {
                block[(int) l] += grad[o];
            }
        }
    }

    /** Whether {@link Pool2x2} computes this pooling: 2x2 windows, stride 2, on 256-bit vectors. */
    static boolean windows2x2(ConvGeometry pool) {
        return Pool2x2.AVAILABLE && pool.kh() == 2 && pool.kw() == 2 && pool.strideH() == 2 && pool.strideW() == 2
                && pool.padH() == 0 && pool.padW() == 0 && pool.dilationH() == 1 && pool.dilationW() == 1;
    }

    private static void requireIndices(String op, View indices) {
        if (indices.dtype() != DType.I64) {
            throw new IllegalArgumentException("conv epilogue " + op + ": indices must be I64, got " + indices.dtype());
        }
    }

    private static void require(String op, boolean ok, View... views) {
        if (!ok) {
            StringBuilder b = new StringBuilder("conv epilogue " + op + ": operands do not fit [out, n, L] <-> [n, out, L] with"
                    + " [out] bias:");
            for (View v : views) {
                b.append(' ').append(v == null ? "null" : Arrays.toString(v.shape()));
            }
            throw new IllegalArgumentException(b.toString());
        }
        for (View v : views) {
            if (v != null && !v.isContiguous()) {
                throw new IllegalArgumentException("conv epilogue " + op + ": operands must be contiguous, got " + v.layout());
            }
        }
    }

    private static void requireF32(String op, View... views) {
        for (View v : views) {
            if (v != null && v.dtype() != DType.F32) {
                throw new IllegalArgumentException("conv epilogue " + op + ": F32 only (ask supports() first), got " + v.dtype());
            }
        }
    }
}
