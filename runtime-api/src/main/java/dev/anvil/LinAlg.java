package dev.anvil;

import dev.anvil.spi.Backend;
import dev.anvil.spi.GemmSpec;
import java.util.Arrays;

/** matmul on the GEMM primitive: strides become transpose flags and leading dimensions, not copies. */
final class LinAlg {
    private LinAlg() {
    }

    static Tensor matmul(Tensor a, Tensor b) {
        Backend be = Exec.backend("matmul", a, b);
        if (a.rank() == 0 || b.rank() == 0) {
            throw new IllegalArgumentException("matmul: both operands need at least 1 dimension, got " + a.describe()
                    + " x " + b.describe() + "; use mul for scalars");
        }
        DType t = DType.promote(a.dtype(), b.dtype());
        if (t != DType.F32 && t != DType.F64) {
            throw new IllegalArgumentException("matmul: needs floating operands, got " + a.describe() + " x "
                    + b.describe() + "; convert with .cast(DType.F32)");
        }
        int ka = a.dim(-1);
        int kb = b.rank() == 1 ? b.dim(0) : b.dim(-2);
        if (ka != kb) {
            throw new IllegalArgumentException("matmul: inner dimensions differ: " + a.shape() + " x " + b.shape());
        }
        Tensor x = a.cast(t);
        Tensor y = b.cast(t);
        boolean vecA = x.rank() == 1;
        boolean vecB = y.rank() == 1;
        if (vecA) {
            x = x.unsqueeze(0);
        }
        if (vecB) {
            y = y.unsqueeze(1);
        }
        int m = x.dim(-2);
        int k = x.dim(-1);
        int n = y.dim(-1);
        int[] batchA = Arrays.copyOf(x.dims(), x.rank() - 2);
        int[] batchB = Arrays.copyOf(y.dims(), y.rank() - 2);
        int[] batch = Shape.broadcast("matmul (batch dimensions)", batchA, batchB);
        int batchCount = (int) dev.anvil.spi.Layout.numel(batch);
        x = x.expand(concat(batch, m, k));
        y = y.expand(concat(batch, k, n));
        Operand oa = operand(x, batch.length);
        if (oa == null) {
            x = x.contiguous();
            oa = operand(x, batch.length);
        }
        Operand ob = operand(y, batch.length);
        if (ob == null) {
            y = y.contiguous();
            ob = operand(y, batch.length);
        }
        int[] outDims = concat(batch, m, n);
        Tensor out = Exec.empty(be, t, outDims, k == 0);
        if (batchCount > 0 && m > 0 && n > 0 && k > 0) {
            be.gemm(new GemmSpec(t, batchCount, m, n, k, 1.0, 0.0,
                    x.storage(), oa.offset, oa.ld, oa.batchStride, oa.trans,
                    y.storage(), ob.offset, ob.ld, ob.batchStride, ob.trans,
                    out.storage(), 0, n, (long) m * n));
        }
        if (Autograd.needed(a, b)) {
            Tensor a2 = vecA ? a.cast(t).unsqueeze(0).detach() : a.cast(t).detach();
            Tensor b2 = vecB ? b.cast(t).unsqueeze(1).detach() : b.cast(t).detach();
            int[] sa = a2.dims();
            int[] sb = b2.dims();
            int[] da = a.dims();
            int[] db = b.dims();
            // When an operand is a transposed view (the weight of x W^T), compute its gradient transposed too,
            // (g^T a)^T instead of a^T g: the same product, but the gradient comes out in the operand's own layout.
            boolean aT = transposedView(a2);
            boolean bT = transposedView(b2);
            Autograd.record(out, "matmul", g -> new Tensor[] {
                a.requiresGrad() ? Autograd.sumTo(aT ? b2.matmul(g.mT()).mT() : g.matmul(b2.mT()), sa).reshape(da)
                        .cast(a.dtype()) : null,
                b.requiresGrad() ? Autograd.sumTo(bT ? g.mT().matmul(a2).mT() : a2.mT().matmul(g), sb).reshape(db)
                        .cast(b.dtype()) : null}, a, b);
        }
        if (vecA) {
            out = out.squeeze(-2);
        }
        if (vecB) {
            out = out.squeeze(-1);
        }
        return out;
    }

    /** True for a matrix (batch) stored column-major: a transposed view of a contiguous one. */
    private static boolean transposedView(Tensor t) {
        int r = t.rank();
        return r >= 2 && t.layout().stride(r - 2) == 1 && t.layout().dim(r - 2) > 1 && t.layout().dim(r - 1) > 1;
    }

    private static int[] concat(int[] batch, int r, int c) {
        int[] d = Arrays.copyOf(batch, batch.length + 2);
        d[batch.length] = r;
        d[batch.length + 1] = c;
        return d;
    }

    private record Operand(long offset, long ld, long batchStride, boolean trans) {
    }

    /**
     * How GEMM can read a [batch..., r, c] view in place: the batch dims must collapse to one stride, and the
     * matrix must be row-major (trans = false) or column-major (trans = true). Null when a copy is needed.
     */
    private static Operand operand(Tensor t, int batchRank) {
        int[] d = t.dims();
        long[] s = t.layout().strides();
        int r = d[batchRank];
        int c = d[batchRank + 1];
        long sr = s[batchRank];
        long sc = s[batchRank + 1];
        Long batchStride = collapse(d, s, batchRank);
        if (batchStride == null) {
            return null;
        }
        long ld;
        boolean trans;
        if ((c <= 1 || sc == 1) && (r <= 1 || sr >= Math.max(1, c))) {
            trans = false;
            ld = r <= 1 ? Math.max(1, c) : sr;
        } else if ((r <= 1 || sr == 1) && (c <= 1 || sc >= Math.max(1, r))) {
            trans = true;
            ld = c <= 1 ? Math.max(1, r) : sc;
        } else {
            return null;
        }
        return new Operand(t.layout().offset(), ld, batchStride, trans);
    }

    /** The single stride that walks all batch dims in row-major order, or null when there is none. */
    private static Long collapse(int[] d, long[] s, int batchRank) {
        long stride = -1;
        long inner = 1; // number of batches covered by the dims to the right
        for (int i = batchRank - 1; i >= 0; i--) {
            if (d[i] == 1) {
                continue;
            }
            if (stride < 0) {
                stride = s[i];
            } else if (s[i] != stride * inner) {
                return null;
            }
            inner *= d[i];
        }
        return stride < 0 ? 0L : stride;
    }
}
