package dev.anvil.backend.cuda;

import dev.anvil.DType;
import dev.anvil.spi.GemmSpec;

/**
 * A column-major batched GEMM as cuBLAS takes it: {@code C_i = alpha op(A_i) op(B_i) + beta C_i} with op(A)
 * m x k and op(B) k x n, matrices stored column by column.
 */
record GemmCall(DType dtype, boolean transA, boolean transB, int m, int n, int k, double alpha,
                long a, int lda, long strideA, long b, int ldb, long strideB, double beta,
                long c, int ldc, long strideC, int batch) {

    private static int checkedInt(long v, String what) {
        if (v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("gemm: " + what + " " + v + " exceeds cuBLAS's 32-bit limit");
        }
        return (int) v;
    }

    /**
     * The row-major {@link GemmSpec} in column-major terms: a row-major matrix read column-major is its
     * transpose, so {@code C^T = op(B)^T op(A)^T}: the operands swap places, m and n swap, the transpose
     * flags stay with their operands, and no data moves.
     */
    static GemmCall of(GemmSpec g) {
        int es = g.dtype().byteSize();
        long a = Operands.base(g.a()) + g.aOffset() * es;
        long b = Operands.base(g.b()) + g.bOffset() * es;
        long c = Operands.base(g.c()) + g.cOffset() * es;
        return new GemmCall(g.dtype(), g.transB(), g.transA(), g.n(), g.m(), g.k(), g.alpha(),
                b, checkedInt(g.ldb(), "ldb"), g.bBatchStride(), a, checkedInt(g.lda(), "lda"), g.aBatchStride(),
                g.beta(), c, checkedInt(g.ldc(), "ldc"), g.cBatchStride(), g.batch());
    }
}
