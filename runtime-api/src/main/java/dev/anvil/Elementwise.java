package dev.anvil;

import dev.anvil.spi.Axpy;
import dev.anvil.spi.Backend;
import dev.anvil.spi.BinaryOp;
import dev.anvil.spi.UnaryOp;
import java.util.Optional;

/** Unary and binary elementwise ops with NumPy broadcasting and PyTorch's type promotion. */
final class Elementwise {
    // op names for messages, computed once: ops run millions of times and must not build strings
    private static final String[] UNARY = names(UnaryOp.values());
    private static final String[] BINARY = names(BinaryOp.values());

    private Elementwise() {
    }

    private static String[] names(Enum<?>[] ops) {
        String[] n = new String[ops.length];
        for (int i = 0; i < ops.length; i++) {
            n[i] = ops[i].name().toLowerCase(java.util.Locale.ROOT);
        }
        return n;
    }

    static Tensor unary(UnaryOp op, Tensor x) {
        Backend b = Exec.backend(UNARY[op.ordinal()], x);
        DType t = x.dtype();
        DType compute = t.isFloating() || op.integral() ? (t.isHalf() ? DType.F32 : t) : DType.F32;
        if (t == DType.BOOL && op != UnaryOp.RELU) {
            compute = DType.F32;
        }
        Tensor in = x.cast(compute);
        Tensor out = Exec.empty(b, compute, x.dims());
        if (out.numel() > 0) {
            b.unary(op, in.view(), out.view());
        }
        return out;
    }

    static DType computeType(BinaryOp op, DType a, DType b) {
        DType t = DType.promote(a, b);
        if (op == BinaryOp.DIV && !t.isFloating()) {
            return DType.F32; // true division, as torch.div
        }
        if (t == DType.BOOL && !op.isComparison()) {
            return op == BinaryOp.MAX || op == BinaryOp.MIN || op == BinaryOp.MUL ? DType.BOOL : DType.I64;
        }
        return t;
    }

    static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        String name = BINARY[op.ordinal()];
        Backend be = Exec.backend(name, a, b);
        Shape shape = Shape.broadcast(name, a.shape(), b.shape());
        DType t = computeType(op, a.dtype(), b.dtype());
        int[] dims = shape.dims();
        Tensor x = a.cast(t).expand(dims);
        Tensor y = b.cast(t).expand(dims);
        Tensor out = Exec.empty(be, op.isComparison() ? DType.BOOL : t, dims);
        if (out.numel() > 0) {
            be.binary(op, x.view(), y.view(), out.view());
        }
        return out;
    }

    /** The 0-d operand for {@code t op v}: t's type when v fits it, else F32 (an integer tensor times 0.5). */
    static Tensor scalarFor(Tensor t, double v) {
        DType d = t.dtype();
        if (!d.isFloating() && (v != Math.rint(v) || Double.isInfinite(v))) {
            d = DType.F32;
        } else if (d == DType.BOOL && v != 0 && v != 1) {
            d = DType.I64;
        }
        return Creation.full(Shape.scalar(), d.isHalf() ? DType.F32 : d, v, Exec.backend("scalar", t));
    }

    static Tensor binaryScalar(BinaryOp op, Tensor a, double v) {
        return binary(op, a, scalarFor(a, v));
    }

    static Tensor where(Tensor cond, Tensor a, Tensor b) {
        Backend be = Exec.backend("where", cond, a, b);
        Shape shape = Shape.broadcast("where", Shape.broadcast("where", cond.shape(), a.shape()), b.shape());
        DType t = DType.promote(a.dtype(), b.dtype());
        int[] dims = shape.dims();
        Tensor c = cond.cast(DType.BOOL).expand(dims);
        Tensor x = a.cast(t).expand(dims);
        Tensor y = b.cast(t).expand(dims);
        Tensor out = Exec.empty(be, t, dims);
        if (out.numel() > 0) {
            be.where(c.view(), x.view(), y.view(), out.view());
        }
        return out;
    }

    static Tensor copyInto(Tensor src, Tensor dst) {
        Backend be = Exec.backend("copyFrom", dst, src);
        Tensor s = src;
        if (!s.shape().equals(dst.shape())) {
            s = s.expand(dst.dims());
        }
        if (dst.numel() > 0) {
            be.copy(s.view(), dst.view());
        }
        return dst;
    }

    static Tensor addInPlace(Tensor y, Tensor x, double alpha) {
        Backend be = Exec.backend("addInPlace", y, x);
        if (!y.dtype().isFloating() || y.dtype().isHalf()) {
            throw new IllegalArgumentException("addInPlace: target must be F32 or F64, got " + y.describe());
        }
        Shape.broadcast("addInPlace", y.shape(), x.shape());
        for (int i = 0; i < y.rank(); i++) {
            if (y.layout().stride(i) == 0 && y.layout().dim(i) > 1) {
                throw new IllegalArgumentException("addInPlace: target " + y.describe()
                        + " is a broadcast view (several elements share memory); make it contiguous() first");
            }
        }
        Optional<Axpy> fused = be.kernel(Axpy.class);
        if (fused.isPresent() && x.dtype() == y.dtype() && x.shape().equals(y.shape()) && x.isContiguous()
                && y.isContiguous()) {
            if (y.numel() > 0) {
                fused.get().axpy(alpha, x.view(), y.view());
            }
            return y;
        }
        Tensor xe = x.cast(y.dtype()).expand(y.dims());
        if (y.numel() > 0) {
            Tensor scaled = alpha == 1 ? xe : binaryScalar(BinaryOp.MUL, xe, alpha);
            be.binary(BinaryOp.ADD, y.view(), scaled.expand(y.dims()).view(), y.view());
        }
        return y;
    }
}
