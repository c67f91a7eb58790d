package dev.anvil.backend.cuda;

import dev.anvil.DType;
import dev.anvil.spi.BinaryOp;
import dev.anvil.spi.HostAccess;
import dev.anvil.spi.UnaryOp;
import dev.anvil.spi.View;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** fill, copy (casts), unary, binary and where on the kernels of elementwise.cu. */
final class ElementwiseOps {
    private static final int THREADS = 256;
    private final Device dev;

    ElementwiseOps(Device dev) {
        this.dev = dev;
    }

    private void launch(Kernel k, long n, Launch args) {
        dev.launch(k, dev.blocks(n, THREADS), THREADS, args);
    }

    void fill(View dst, double value) {
        DType t = dst.dtype();
        int size = t.byteSize();
        MemorySegment one = MemorySegment.ofArray(new long[1]);
        HostAccess.putDouble(one, t, 0, value);
        long bits = one.get(ValueLayout.JAVA_LONG, 0);
        if (dst.isContiguous() && (bits == 0 || size == 1)) {
            dev.rt.memset(Operands.first(dst), (int) (bits & 0xff), dst.numel() * size);
            return;
        }
        long base = Operands.base(dst);
        Strided.of(dst.shape(), dst.layout()).forEachLaunch(s ->
                launch(Kernel.FILL, s.numel, Launch.args().i32(size).i64(bits).i64(s.numel).strided(s).ptr(base)));
    }

    void copy(View src, View dst) {
        DType st = src.dtype();
        DType dt = dst.dtype();
        if (st == dt && src.isContiguous() && dst.isContiguous()) {
            long bytes = dst.numel() * dt.byteSize();
            dev.rt.copyOnDevice(Operands.first(dst), Operands.first(src), bytes);
            return;
        }
        long s0 = Operands.base(src);
        long d0 = Operands.base(dst);
        Strided.of(dst.shape(), src.layout(), dst.layout()).forEachLaunch(s -> {
            if (st == dt) {
                launch(Kernel.COPY_RAW, s.numel, Launch.args().i32(st.byteSize()).i64(s.numel).strided(s).ptr(s0).ptr(d0));
            } else {
                launch(Kernel.COPY_CAST, s.numel,
                        Launch.args().i32(st.ordinal()).i32(dt.ordinal()).i64(s.numel).strided(s).ptr(s0).ptr(d0));
            }
        });
    }

    void unary(UnaryOp op, View x, View out) {
        DType t = x.dtype();
        Kernel k;
        if (t == DType.F32) {
            k = Kernel.UNARY_F32;
        } else if (t == DType.F64) {
            k = Kernel.UNARY_F64;
        } else if (!t.isFloating() && (op.integral())) {
            k = Kernel.UNARY_INT;
        } else {
            throw new IllegalArgumentException(op + " on the cuda backend needs F32 or F64 input"
                    + (t.isFloating() ? " (cast " + t + " first)" : ", got " + t));
        }
        long xb = Operands.base(x);
        long ob = Operands.base(out);
        Strided.of(out.shape(), x.layout(), out.layout()).forEachLaunch(s -> {
            Launch a = Launch.args().i32(op.ordinal());
            if (k == Kernel.UNARY_INT) {
                a.i32(t.ordinal());
            }
            launch(k, s.numel, a.i64(s.numel).strided(s).ptr(xb).ptr(ob));
        });
    }

    void binary(BinaryOp op, View a, View b, View out) {
        DType t = a.dtype();
        long ab = Operands.base(a);
        long bb = Operands.base(b);
        long ob = Operands.base(out);
        if (t == DType.F32 && !op.isComparison() && a.isContiguous() && b.isContiguous() && out.isContiguous()) {
            long n = out.numel();
            launch(Kernel.BINARY_F32_DENSE, n, Launch.args().i32(op.ordinal()).i64(n)
                    .ptr(Operands.first(a)).ptr(Operands.first(b)).ptr(Operands.first(out)));
            return;
        }
        Strided geometry = Strided.of(out.shape(), a.layout(), b.layout(), out.layout());
        if (t == DType.F32 || t == DType.F64) {
            Kernel k = t == DType.F32 ? Kernel.BINARY_F32 : Kernel.BINARY_F64;
            geometry.forEachLaunch(s -> launch(k, s.numel,
                    Launch.args().i32(op.ordinal()).i64(s.numel).strided(s).ptr(ab).ptr(bb).ptr(ob)));
            return;
        }
        if (t.isFloating()) {
            throw new IllegalArgumentException(op + " on the cuda backend needs F32 or F64 operands (cast " + t + " first)");
        }
        boolean checked = op == BinaryOp.DIV || op == BinaryOp.POW;
        try (Operands.ErrorReport err = checked ? new Operands.ErrorReport(dev) : null) {
            long errAt = err == null ? 0 : err.address();
            geometry.forEachLaunch(s -> launch(Kernel.BINARY_INT, s.numel, Launch.args().i32(op.ordinal()).i32(t.ordinal())
                    .i32(out.dtype().ordinal()).i64(s.numel).strided(s).ptr(ab).ptr(bb).ptr(ob).ptr(errAt)));
            if (err != null) {
                long[] r = err.read();
                if (r[0] == 2) {
                    throw new ArithmeticException("integer division by zero in div; cast to a floating type first");
                }
                if (r[0] == 3) {
                    throw new ArithmeticException("pow: integer base to negative exponent " + r[1]
                            + "; cast to a floating type first");
                }
            }
        }
    }

    void where(View cond, View a, View b, View out) {
        DType ct = cond.dtype();
        if (ct != DType.BOOL && ct != DType.U8 && ct != DType.I8) {
            throw new IllegalArgumentException("where: condition must be BOOL, got " + ct);
        }
        int size = out.dtype().byteSize();
        long cb = Operands.base(cond);
        long ab = Operands.base(a);
        long bb = Operands.base(b);
        long ob = Operands.base(out);
        Strided.of(out.shape(), cond.layout(), a.layout(), b.layout(), out.layout()).forEachLaunch(s ->
                launch(Kernel.WHERE, s.numel, Launch.args().i32(size).i64(s.numel).strided(s).ptr(cb).ptr(ab).ptr(bb).ptr(ob)));
    }
}
