package dev.anvil;

import dev.anvil.spi.Axpy;
import dev.anvil.spi.Backend;
import dev.anvil.spi.BinaryOp;
import dev.anvil.spi.ReluBackward;
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
        if (compute.isFloating() && Autograd.needed(in)) {
            Tensor y = out.detach();
            Autograd.record(out, UNARY[op.ordinal()], g -> new Tensor[] {unaryGrad(op, in, y, g)}, in);
        }
        return out;
    }

    /** g where x > 0, else 0: the backend's fused kernel when it has one, else a comparison and a select. */
    private static Tensor reluGrad(Tensor x, Tensor g) {
        Backend b = Exec.backend("relu (gradient)", x, g);
        Optional<ReluBackward> fused = b.kernel(ReluBackward.class);
        if (fused.isEmpty() || g.dtype() != x.dtype() || !g.shape().equals(x.shape()) || Autograd.isEnabled()) {
            return Tensor.where(x.gt(0), g, Tensor.scalar(0, g.dtype())); // two passes, not three
        }
        Tensor xc = x.contiguous();
        Tensor gc = g.contiguous();
        Tensor out = Exec.empty(b, x.dtype(), x.dims());
        if (out.numel() > 0) {
            fused.get().reluBackward(xc.view(), gc.view(), out.view());
        }
        return out;
    }

    /** d op(x) / dx times g, from the input x and the output y. */
    private static Tensor unaryGrad(UnaryOp op, Tensor x, Tensor y, Tensor g) {
        return switch (op) {
            case NEG -> g.neg();
            case EXP -> g.mul(y);
            case LOG -> g.div(x);
            case SQRT -> g.div(y).mul(0.5);
            case RSQRT -> g.mul(y.mul(y).mul(y)).mul(-0.5);
            case ABS -> g.mul(x.gt(0).cast(x.dtype()).sub(x.lt(0).cast(x.dtype())));
            case TANH -> g.mul(y.mul(y).neg().add(1));
            case SIGMOID -> g.mul(y.mul(y.neg().add(1)));
            case RELU -> reluGrad(x, g);
            case GELU -> {
                // d/dx x*Phi(x) = Phi(x) + x*phi(x); Phi(x) = gelu(x)/x away from 0, 1/2 at 0
                Tensor small = x.abs().lt(1e-6);
                Tensor safeX = Tensor.where(small, Tensor.scalar(1, x.dtype()), x);
                Tensor cdf = Tensor.where(small, Tensor.scalar(0.5, x.dtype()), y.div(safeX));
                Tensor pdf = x.mul(x).mul(-0.5).exp().mul(0.3989422804014327);
                yield g.mul(cdf.add(x.mul(pdf)));
            }
            case SIN -> g.mul(x.cos());
            case COS -> g.mul(x.sin()).neg();
        };
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
        int[] dims = Shape.broadcast(name, a.dims(), b.dims());
        DType t = computeType(op, a.dtype(), b.dtype());
        Tensor x = a.cast(t).expand(dims);
        Tensor y = b.cast(t).expand(dims);
        Tensor out = Exec.empty(be, op.isComparison() ? DType.BOOL : t, dims);
        if (out.numel() > 0) {
            be.binary(op, x.view(), y.view(), out.view());
        }
        if (!op.isComparison() && t.isFloating() && Autograd.needed(a, b)) {
            Tensor xa = a.cast(t);
            Tensor xb = b.cast(t);
            Tensor z = out.detach();
            int[] sa = a.dims();
            int[] sb = b.dims();
            Autograd.record(out, name, g -> {
                Tensor[] gr = binaryGrad(op, xa, xb, z, g);
                return new Tensor[] {
                    gr[0] == null ? null : Autograd.sumTo(gr[0], sa).cast(a.dtype()),
                    gr[1] == null ? null : Autograd.sumTo(gr[1], sb).cast(b.dtype())};
            }, a, b);
        }
        return out;
    }

    /** Gradients of a op b (broadcast shapes; the caller reduces them back). */
    private static Tensor[] binaryGrad(BinaryOp op, Tensor a, Tensor b, Tensor out, Tensor g) {
        boolean da = a.requiresGrad();
        boolean db = b.requiresGrad();
        return switch (op) {
            case ADD -> new Tensor[] {da ? g : null, db ? g : null};
            case SUB -> new Tensor[] {da ? g : null, db ? g.neg() : null};
            case MUL -> new Tensor[] {da ? g.mul(b) : null, db ? g.mul(a) : null};
            case DIV -> new Tensor[] {da ? g.div(b) : null, db ? g.mul(out).div(b).neg() : null};
            case POW -> new Tensor[] {
                da ? g.mul(b).mul(a.pow(b.sub(1))) : null,
                // d/db a^b = a^b log a; taken as 0 where a == 0 (PyTorch's convention)
                db ? g.mul(out).mul(Tensor.where(a.eq(0), Tensor.scalar(0, a.dtype()), a.log())) : null};
            case MAX, MIN -> {
                // the larger (smaller) operand takes the gradient; ties split it evenly, as torch.maximum
                Tensor wins = (op == BinaryOp.MAX ? a.gt(b) : a.lt(b)).cast(g.dtype());
                Tensor ties = a.eq(b).cast(g.dtype()).mul(0.5);
                Tensor shareA = wins.add(ties);
                yield new Tensor[] {da ? g.mul(shareA) : null, db ? g.mul(shareA.neg().add(1)) : null};
            }
            default -> throw new IllegalStateException(op + " has no gradient");
        };
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
        if (t.isFloating() && Autograd.needed(a, b)) {
            int[] sa = a.dims();
            int[] sb = b.dims();
            Autograd.record(out, "where", g -> {
                Tensor zero = Tensor.scalar(0, g.dtype());
                return new Tensor[] {null,
                    a.requiresGrad() ? Autograd.sumTo(Tensor.where(c, g, zero), sa).cast(a.dtype()) : null,
                    b.requiresGrad() ? Autograd.sumTo(Tensor.where(c, zero, g), sb).cast(b.dtype()) : null};
            }, cond, a, b);
        }
        return out;
    }

    /** In-place writes cannot be differentiated: refuse them on tensors that are part of a graph. */
    static void checkNotRecorded(String op, Tensor target) {
        if (Autograd.isEnabled() && target.requiresGrad()) {
            throw new IllegalStateException(op + ": " + target.describe() + " requires a gradient, and in-place "
                    + "changes cannot be differentiated; wrap the update in Autograd.noGrad() or use the out-of-place op");
        }
    }

    static Tensor copyInto(Tensor src, Tensor dst) {
        checkNotRecorded("copyFrom", dst);
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
        checkNotRecorded("addInPlace", y);
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
