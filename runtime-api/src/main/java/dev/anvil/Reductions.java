package dev.anvil;

import dev.anvil.spi.Backend;
import dev.anvil.spi.ReduceOp;
import java.util.Arrays;

/** sum, mean, max, min, argmax, argmin, var, softmax. */
final class Reductions {
    private Reductions() {
    }

    /** Sorted distinct normalised axes; null or empty means all axes. */
    static int[] axes(String op, Tensor t, int[] axes) {
        int r = t.rank();
        if (axes == null || axes.length == 0) {
            int[] all = new int[r];
            for (int i = 0; i < r; i++) {
                all[i] = i;
            }
            return all;
        }
        int[] n = new int[axes.length];
        for (int i = 0; i < axes.length; i++) {
            n[i] = Shape.normalizeAxis(axes[i], r, op + ": axis");
        }
        Arrays.sort(n);
        for (int i = 1; i < n.length; i++) {
            if (n[i] == n[i - 1]) {
                throw new IllegalArgumentException(op + ": axis " + n[i] + " repeated in " + Arrays.toString(axes));
            }
        }
        return n;
    }

    static int[] keptShape(int[] dims, int[] axes) {
        int[] k = dims.clone();
        for (int a : axes) {
            k[a] = 1;
        }
        return k;
    }

    static int[] droppedShape(int[] dims, int[] axes) {
        int[] out = new int[dims.length - axes.length];
        for (int i = 0, j = 0, k = 0; i < dims.length; i++) {
            if (j < axes.length && axes[j] == i) {
                j++;
            } else {
                out[k++] = dims[i];
            }
        }
        return out;
    }

    static Tensor reduce(ReduceOp op, Tensor x, int[] axesIn, boolean keepDim) {
        String name = op.name().toLowerCase(java.util.Locale.ROOT);
        Backend b = Exec.backend(name, x);
        int[] axes = axes(name, x, axesIn);
        int[] dims = x.dims();
        DType in = x.dtype().isHalf() ? DType.F32 : x.dtype();
        DType out = op == ReduceOp.SUM && !in.isFloating() ? DType.I64 : in;
        if (op != ReduceOp.SUM) {
            for (int a : axes) {
                if (dims[a] == 0) {
                    throw new IllegalArgumentException(name + ": cannot reduce over axis " + a + " of size 0 in "
                            + x.describe() + " (the result has no identity)");
                }
            }
        }
        int[] kept = keptShape(dims, axes);
        Tensor src = x.cast(in);
        Tensor r;
        if (axes.length == 0) {
            r = src.cast(out).copy();
        } else {
            r = Exec.empty(b, out, kept, op == ReduceOp.SUM && x.numel() == 0);
            if (x.numel() > 0) {
                b.reduce(op, src.view(), axes, r.view());
            }
            if (out.isFloating() && Autograd.needed(src)) {
                Tensor result = r.detach();
                Autograd.record(r, name, g -> new Tensor[] {reduceGrad(op, src, result, g)}, src);
            }
        }
        return keepDim ? r : r.reshape(droppedShape(dims, axes));
    }

    /** Gradient of a keep-dim reduction: spread back over the reduced axes (to the extremes for max/min, split on ties). */
    private static Tensor reduceGrad(ReduceOp op, Tensor x, Tensor result, Tensor g) {
        int[] dims = x.dims();
        if (op == ReduceOp.SUM) {
            return g.expand(dims).contiguous();
        }
        Tensor hit = x.eq(result).cast(g.dtype());
        int[] axes = new int[dims.length];
        int n = 0;
        int[] rd = result.dims();
        for (int i = 0; i < dims.length; i++) {
            if (rd[i] == 1 && dims[i] != 1) {
                axes[n++] = i;
            }
        }
        Tensor count = n == 0 ? hit : hit.sum(java.util.Arrays.copyOf(axes, n), true);
        return hit.mul(g.div(count));
    }

    static long count(Tensor x, int[] axes) {
        long n = 1;
        for (int a : axes) {
            n *= x.layout().dim(a);
        }
        return n;
    }

    static Tensor mean(Tensor x, int[] axesIn, boolean keepDim) {
        int[] axes = axes("mean", x, axesIn);
        DType ft = x.dtype().floatingCompute();
        Tensor s = reduce(ReduceOp.SUM, x.cast(ft), axes, keepDim);
        return s.div(count(x, axes));
    }

    static Tensor var(Tensor x, int[] axesIn, int correction, boolean keepDim) {
        if (correction < 0) {
            throw new IllegalArgumentException("var: correction must be 0 or more, got " + correction);
        }
        int[] axes = axes("var", x, axesIn);
        Tensor xf = x.cast(x.dtype().floatingCompute());
        Tensor mu = mean(xf, axes, true);
        Tensor d = xf.sub(mu);
        Tensor ss = reduce(ReduceOp.SUM, d.mul(d), axes, keepDim);
        long n = count(x, axes) - correction;
        return ss.div(n <= 0 ? Double.NaN : n);
    }

    static Tensor arg(boolean max, Tensor x, int axis, boolean keepDim) {
        String name = max ? "argmax" : "argmin";
        Backend b = Exec.backend(name, x);
        if (x.rank() == 0) {
            return Creation.full(Shape.scalar(), DType.I64, 0, b);
        }
        int a = Shape.normalizeAxis(axis, x.rank(), name + ": axis");
        int[] dims = x.dims();
        if (dims[a] == 0) {
            throw new IllegalArgumentException(name + ": axis " + axis + " of " + x.describe() + " is empty");
        }
        int[] kept = keptShape(dims, new int[] {a});
        Tensor src = x.dtype().isHalf() ? x.cast(DType.F32) : x;
        Tensor r = Exec.empty(b, DType.I64, kept);
        if (r.numel() > 0) {
            b.argReduce(max, src.view(), a, r.view());
        }
        return keepDim ? r : r.squeeze(a);
    }

    static Tensor softmax(Tensor x, int axis, boolean log) {
        String name = log ? "logSoftmax" : "softmax";
        Backend b = Exec.backend(name, x);
        if (x.rank() == 0) {
            return softmax(x.reshape(1), 0, log).reshape();
        }
        int a = Shape.normalizeAxis(axis, x.rank(), name + ": axis");
        Tensor src = x.cast(x.dtype().floatingCompute());
        int last = x.rank() - 1;
        if (a != last) {
            Tensor moved = src.transpose(a, last);
            return softmax(moved, last, log).transpose(a, last);
        }
        src = src.contiguous();
        Tensor out = Exec.empty(b, src.dtype(), src.dims());
        if (out.numel() > 0) {
            b.softmax(src.view(), out.view(), log);
        }
        if (Autograd.needed(src)) {
            Tensor y = out.detach();
            int[] lastAxis = {last};
            Autograd.record(out, name, g -> new Tensor[] {log
                    ? g.sub(y.exp().mul(g.sum(lastAxis, true)))
                    : y.mul(g.sub(g.mul(y).sum(lastAxis, true)))}, src);
        }
        return out;
    }
}
