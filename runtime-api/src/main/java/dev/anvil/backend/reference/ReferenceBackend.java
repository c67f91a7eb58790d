package dev.anvil.backend.reference;

import dev.anvil.DType;
import dev.anvil.spi.Backend;
import dev.anvil.spi.BinaryOp;
import dev.anvil.spi.ConvGeometry;
import dev.anvil.spi.DeviceInfo;
import dev.anvil.spi.GemmSpec;
import dev.anvil.spi.HostAccess;
import dev.anvil.spi.HostBackend;
import dev.anvil.spi.HostStorage;
import dev.anvil.spi.Int8Gemm;
import dev.anvil.spi.Layout;
import dev.anvil.spi.MemoryStats;
import dev.anvil.spi.ReduceOp;
import dev.anvil.spi.ScalarMath;
import dev.anvil.spi.Storage;
import dev.anvil.spi.StridedIter;
import dev.anvil.spi.UnaryOp;
import dev.anvil.spi.View;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Plain scalar Java, one thread, every dtype, computing in double (or long for integers) and rounding
 * once on store. Slow on purpose: it is the oracle the conformance suite compares every backend with,
 * so it favours obviously-correct loops over speed.
 */
public final class ReferenceBackend extends HostBackend {
    public static final String NAME = "reference";


    static DeviceInfo describe() {
        return new DeviceInfo("portable scalar Java (1 thread)", 1, Runtime.getRuntime().maxMemory(), 0, 0,
                "no SIMD, no threads; the correctness oracle");
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public DeviceInfo device() {
        return describe();
    }

    @Override
    public void copyFromHost(MemorySegment src, View dst) {
        long bytes = dst.numel() * dst.dtype().byteSize();
        MemorySegment.copy(src, 0, dst.segment(), dst.offset() * dst.dtype().byteSize(), bytes);
    }

    @Override
    public void copyToHost(View src, MemorySegment dst) {
        long bytes = src.numel() * src.dtype().byteSize();
        MemorySegment.copy(src.segment(), src.offset() * src.dtype().byteSize(), dst, 0, bytes);
    }

    @Override
    public void fill(View dst, double value) {
        MemorySegment s = dst.segment();
        DType t = dst.dtype();
        var it = new StridedIter(dst.shape(), dst.layout());
        while (it.hasNext()) {
            it.next();
            for (int i = 0; i < it.inner(); i++) {
                HostAccess.putDouble(s, t, it.offset(0) + i * it.innerStride(0), value);
            }
        }
    }

    @Override
    public void copy(View src, View dst) {
        MemorySegment s = src.segment();
        MemorySegment d = dst.segment();
        boolean integral = !src.dtype().isFloating() && !dst.dtype().isFloating();
        var it = new StridedIter(dst.shape(), src.layout(), dst.layout());
        while (it.hasNext()) {
            it.next();
            for (int i = 0; i < it.inner(); i++) {
                long si = it.offset(0) + i * it.innerStride(0);
                long di = it.offset(1) + i * it.innerStride(1);
                if (integral) {
                    HostAccess.putLong(d, dst.dtype(), di, HostAccess.getLong(s, src.dtype(), si));
                } else {
                    HostAccess.putDouble(d, dst.dtype(), di, HostAccess.getDouble(s, src.dtype(), si));
                }
            }
        }
    }

    @Override
    public void unary(UnaryOp op, View x, View out) {
        MemorySegment s = x.segment();
        MemorySegment d = out.segment();
        DType t = x.dtype();
        var it = new StridedIter(out.shape(), x.layout(), out.layout());
        while (it.hasNext()) {
            it.next();
            for (int i = 0; i < it.inner(); i++) {
                long si = it.offset(0) + i * it.innerStride(0);
                long di = it.offset(1) + i * it.innerStride(1);
                if (t.isFloating()) {
                    HostAccess.putDouble(d, t, di, ScalarMath.apply(op, HostAccess.getDouble(s, t, si)));
                } else {
                    long v = HostAccess.getLong(s, t, si);
                    long r = switch (op) {
                        case NEG -> -v;
                        case ABS -> Math.abs(v);
                        case RELU -> Math.max(v, 0);
                        default -> throw new IllegalArgumentException(op + " needs a floating type, got " + t);
                    };
                    HostAccess.putLong(d, t, di, r);
                }
            }
        }
    }

    @Override
    public void binary(BinaryOp op, View a, View b, View out) {
        MemorySegment sa = a.segment();
        MemorySegment sb = b.segment();
        MemorySegment d = out.segment();
        DType t = a.dtype();
        DType ot = out.dtype();
        var it = new StridedIter(out.shape(), a.layout(), b.layout(), out.layout());
        while (it.hasNext()) {
            it.next();
            for (int i = 0; i < it.inner(); i++) {
                long ai = it.offset(0) + i * it.innerStride(0);
                long bi = it.offset(1) + i * it.innerStride(1);
                long oi = it.offset(2) + i * it.innerStride(2);
                if (t.isFloating()) {
                    double r = ScalarMath.apply(op, HostAccess.getDouble(sa, t, ai), HostAccess.getDouble(sb, t, bi));
                    HostAccess.putDouble(d, ot, oi, r);
                } else {
                    long r = ScalarMath.apply(op, HostAccess.getLong(sa, t, ai), HostAccess.getLong(sb, t, bi));
                    HostAccess.putLong(d, ot, oi, r);
                }
            }
        }
    }

    @Override
    public void where(View cond, View a, View b, View out) {
        MemorySegment sc = cond.segment();
        MemorySegment sa = a.segment();
        MemorySegment sb = b.segment();
        MemorySegment d = out.segment();
        DType t = out.dtype();
        var it = new StridedIter(out.shape(), cond.layout(), a.layout(), b.layout(), out.layout());
        while (it.hasNext()) {
            it.next();
            for (int i = 0; i < it.inner(); i++) {
                boolean c = HostAccess.getLong(sc, cond.dtype(), it.offset(0) + i * it.innerStride(0)) != 0;
                long src = c ? it.offset(1) + i * it.innerStride(1) : it.offset(2) + i * it.innerStride(2);
                long di = it.offset(3) + i * it.innerStride(3);
                if (t.isFloating()) {
                    HostAccess.putDouble(d, t, di, HostAccess.getDouble(c ? sa : sb, t, src));
                } else {
                    HostAccess.putLong(d, t, di, HostAccess.getLong(c ? sa : sb, t, src));
                }
            }
        }
    }

    /** out's layout stretched back to x's shape (stride 0 on reduced axes), to walk both together. */
    private static Layout stretched(View x, View out, int[] axes) {
        long[] strides = out.layout().strides().clone();
        for (int a : axes) {
            strides[a] = 0;
        }
        return new Layout(x.shape(), strides, out.offset());
    }

    @Override
    public void reduce(ReduceOp op, View x, int[] axes, View out) {
        MemorySegment s = x.segment();
        MemorySegment d = out.segment();
        DType t = x.dtype();
        int n = (int) out.numel();
        Layout back = stretched(x, out, axes);
        long base = out.offset();
        boolean integral = !t.isFloating();
        double[] acc = new double[n];
        long[] iacc = new long[n];
        double init = switch (op) {
            case SUM -> 0;
            case MAX -> Double.NEGATIVE_INFINITY;
            case MIN -> Double.POSITIVE_INFINITY;
        };
        Arrays.fill(acc, init);
        Arrays.fill(iacc, op == ReduceOp.MAX ? Long.MIN_VALUE : op == ReduceOp.MIN ? Long.MAX_VALUE : 0);
        var it = new StridedIter(x.shape(), x.layout(), back);
        while (it.hasNext()) {
            it.next();
            for (int i = 0; i < it.inner(); i++) {
                long xi = it.offset(0) + i * it.innerStride(0);
                int oi = (int) (it.offset(1) + i * it.innerStride(1) - base);
                if (integral) {
                    long v = HostAccess.getLong(s, t, xi);
                    iacc[oi] = switch (op) {
                        case SUM -> iacc[oi] + v;
                        case MAX -> Math.max(iacc[oi], v);
                        case MIN -> Math.min(iacc[oi], v);
                    };
                } else {
                    double v = HostAccess.getDouble(s, t, xi);
                    acc[oi] = switch (op) {
                        case SUM -> acc[oi] + v;
                        case MAX -> Double.isNaN(v) || Double.isNaN(acc[oi]) ? Double.NaN : Math.max(acc[oi], v);
                        case MIN -> Double.isNaN(v) || Double.isNaN(acc[oi]) ? Double.NaN : Math.min(acc[oi], v);
                    };
                }
            }
        }
        for (int i = 0; i < n; i++) {
            if (integral) {
                HostAccess.putLong(d, out.dtype(), base + i, iacc[i]);
            } else {
                HostAccess.putDouble(d, out.dtype(), base + i, acc[i]);
            }
        }
    }

    @Override
    public void argReduce(boolean max, View x, int axis, View out) {
        MemorySegment s = x.segment();
        MemorySegment d = out.segment();
        DType t = x.dtype();
        int len = x.shape()[axis];
        long step = x.layout().stride(axis);
        int[] outer = x.shape().clone();
        outer[axis] = 1;
        Layout xOuter = new Layout(outer, x.layout().strides(), x.offset());
        var it = new StridedIter(outer, xOuter, out.layout());
        while (it.hasNext()) {
            it.next();
            for (int i = 0; i < it.inner(); i++) {
                long xi = it.offset(0) + i * it.innerStride(0);
                long best = 0;
                double bestV = HostAccess.getDouble(s, t, xi);
                for (int j = 1; j < len && !Double.isNaN(bestV); j++) {
                    double v = HostAccess.getDouble(s, t, xi + j * step);
                    if (Double.isNaN(v) || (max ? v > bestV : v < bestV)) {
                        best = j;
                        bestV = v;
                    }
                }
                HostAccess.putLong(d, DType.I64, it.offset(1) + i * it.innerStride(1), best);
            }
        }
    }

    @Override
    public void softmax(View x, View out, boolean log) {
        MemorySegment s = x.segment();
        MemorySegment d = out.segment();
        DType t = x.dtype();
        int[] shape = x.shape();
        int cols = shape.length == 0 ? 1 : shape[shape.length - 1];
        long rows = cols == 0 ? 0 : x.numel() / cols;
        for (long r = 0; r < rows; r++) {
            long xb = x.offset() + r * cols;
            long ob = out.offset() + r * cols;
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) {
                double v = HostAccess.getDouble(s, t, xb + c);
                max = Double.isNaN(v) || Double.isNaN(max) ? Double.NaN : Math.max(max, v);
            }
            if (max == Double.NEGATIVE_INFINITY) {
                max = 0; // a row of -inf: softmax is NaN (0/0) as in PyTorch, log-softmax -inf - log(0)
            }
            double sum = 0;
            for (int c = 0; c < cols; c++) {
                sum += Math.exp(HostAccess.getDouble(s, t, xb + c) - max);
            }
            double logSum = Math.log(sum);
            for (int c = 0; c < cols; c++) {
                double v = HostAccess.getDouble(s, t, xb + c) - max;
                HostAccess.putDouble(d, t, ob + c, log ? v - logSum : Math.exp(v) / sum);
            }
        }
    }

    @Override
    public void gemm(GemmSpec g) {
        MemorySegment a = ((HostStorage) g.a()).segment();
        MemorySegment b = ((HostStorage) g.b()).segment();
        MemorySegment c = ((HostStorage) g.c()).segment();
        DType t = g.dtype();
        for (int p = 0; p < g.batch(); p++) {
            long ab = g.aOffset() + p * g.aBatchStride();
            long bb = g.bOffset() + p * g.bBatchStride();
            long cb = g.cOffset() + p * g.cBatchStride();
            for (int i = 0; i < g.m(); i++) {
                for (int j = 0; j < g.n(); j++) {
                    double sum = 0;
                    for (int q = 0; q < g.k(); q++) {
                        long ai = g.transA() ? ab + q * g.lda() + i : ab + i * g.lda() + q;
                        long bi = g.transB() ? bb + j * g.ldb() + q : bb + q * g.ldb() + j;
                        sum += HostAccess.getDouble(a, t, ai) * HostAccess.getDouble(b, t, bi);
                    }
                    long ci = cb + i * g.ldc() + j;
                    // beta == 0 overwrites (C may hold garbage or NaN), as BLAS does
                    double prior = g.beta() == 0 ? 0 : g.beta() * HostAccess.getDouble(c, t, ci);
                    HostAccess.putDouble(c, t, ci, g.alpha() * sum + prior);
                }
            }
        }
    }

    @Override
    public void im2col(View x, ConvGeometry g, View cols) {
        convWalk(x, g, cols, false);
    }

    @Override
    public void col2im(View cols, ConvGeometry g, View x) {
        convWalk(x, g, cols, true);
    }

    private static void convWalk(View x, ConvGeometry g, View cols, boolean fold) {
        MemorySegment xs = x.segment();
        MemorySegment cs = cols.segment();
        DType t = x.dtype();
        int oh = g.outH();
        int ow = g.outW();
        long colRows = (long) g.c() * g.kh() * g.kw();
        for (int n = 0; n < g.n(); n++) {
            for (int ch = 0; ch < g.c(); ch++) {
                for (int ki = 0; ki < g.kh(); ki++) {
                    for (int kj = 0; kj < g.kw(); kj++) {
                        long row = ((long) ch * g.kh() + ki) * g.kw() + kj;
                        long colBase = cols.offset() + ((long) n * colRows + row) * oh * ow;
                        for (int y = 0; y < oh; y++) {
                            int iy = y * g.strideH() - g.padH() + ki * g.dilationH();
                            for (int xx = 0; xx < ow; xx++) {
                                int ix = xx * g.strideW() - g.padW() + kj * g.dilationW();
                                long ci = colBase + (long) y * ow + xx;
                                boolean inside = iy >= 0 && iy < g.h() && ix >= 0 && ix < g.w();
                                long xi = x.offset() + (((long) n * g.c() + ch) * g.h() + iy) * g.w() + ix;
                                if (fold) {
                                    if (inside) {
                                        HostAccess.putDouble(xs, t, xi,
                                                HostAccess.getDouble(xs, t, xi) + HostAccess.getDouble(cs, t, ci));
                                    }
                                } else {
                                    HostAccess.putDouble(cs, t, ci, inside ? HostAccess.getDouble(xs, t, xi) : 0);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /** x's strides over index's shape, with the gathered axis walked separately. */
    private static Layout alongIndex(View x, int axis, View index) {
        long[] strides = x.layout().strides().clone();
        strides[axis] = 0;
        return new Layout(index.shape(), strides, x.offset());
    }

    static long checkedIndex(String op, MemorySegment is, DType it, long at, int axis, int size) {
        long v = HostAccess.getLong(is, it, at);
        if (v < 0 || v >= size) {
            throw new IllegalArgumentException(op + ": index " + v + " is out of range for axis " + axis + " of size " + size);
        }
        return v;
    }

    @Override
    public void gather(View x, int axis, View index, View out) {
        MemorySegment xs = x.segment();
        MemorySegment is = index.segment();
        MemorySegment os = out.segment();
        DType t = x.dtype();
        int size = x.shape()[axis];
        long step = x.layout().stride(axis);
        var it = new StridedIter(index.shape(), index.layout(), out.layout(), alongIndex(x, axis, index));
        while (it.hasNext()) {
            it.next();
            for (int i = 0; i < it.inner(); i++) {
                long k = checkedIndex("gather", is, index.dtype(), it.offset(0) + i * it.innerStride(0), axis, size);
                long src = it.offset(2) + i * it.innerStride(2) + k * step;
                long dst = it.offset(1) + i * it.innerStride(1);
                if (t.isFloating()) {
                    HostAccess.putDouble(os, t, dst, HostAccess.getDouble(xs, t, src));
                } else {
                    HostAccess.putLong(os, t, dst, HostAccess.getLong(xs, t, src));
                }
            }
        }
    }

    @Override
    public void scatterAdd(View src, int axis, View index, View out) {
        MemorySegment ss = src.segment();
        MemorySegment is = index.segment();
        MemorySegment os = out.segment();
        DType t = out.dtype();
        int size = out.shape()[axis];
        long step = out.layout().stride(axis);
        var it = new StridedIter(index.shape(), index.layout(), src.layout(), alongIndex(out, axis, index));
        while (it.hasNext()) {
            it.next();
            for (int i = 0; i < it.inner(); i++) {
                long k = checkedIndex("scatterAdd", is, index.dtype(), it.offset(0) + i * it.innerStride(0), axis, size);
                long from = it.offset(1) + i * it.innerStride(1);
                long to = it.offset(2) + i * it.innerStride(2) + k * step;
                if (t.isFloating()) {
                    HostAccess.putDouble(os, t, to, HostAccess.getDouble(os, t, to) + HostAccess.getDouble(ss, t, from));
                } else {
                    HostAccess.putLong(os, t, to, HostAccess.getLong(os, t, to) + HostAccess.getLong(ss, t, from));
                }
            }
        }
    }

    private final Int8Gemm int8Gemm = new ReferenceInt8Gemm();

    /** The portable int8 product ({@link Int8Gemm}); other fused kernels are composed by the API. */
    @Override
    public <T> java.util.Optional<T> kernel(Class<T> type) {
        return type == Int8Gemm.class ? java.util.Optional.of(type.cast(int8Gemm)) : java.util.Optional.empty();
    }
}
