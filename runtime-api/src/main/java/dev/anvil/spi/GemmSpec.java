package dev.anvil.spi;

import dev.anvil.DType;

/**
 * A batched, row-major general matrix multiply: for each batch {@code i},
 * {@code C_i = alpha * op(A_i) * op(B_i) + beta * C_i} with {@code op(A_i)} of size m x k and
 * {@code op(B_i)} of size k x n. The same parameters as row-major {@code cblas_?gemm} plus a batch stride
 * (which may be 0 for A or B, to broadcast one matrix over the batch).
 *
 * <p>A not transposed is stored m x k with rows {@code lda} apart; transposed it is stored k x m. The
 * constructor validates every extent against the storages, so a kernel or a native BLAS never reads or
 * writes outside them.
 */
public record GemmSpec(DType dtype, int batch, int m, int n, int k, double alpha, double beta,
                       Storage a, long aOffset, long lda, long aBatchStride, boolean transA,
                       Storage b, long bOffset, long ldb, long bBatchStride, boolean transB,
                       Storage c, long cOffset, long ldc, long cBatchStride) {

    public GemmSpec {
        if (dtype != DType.F32 && dtype != DType.F64) {
            throw new IllegalArgumentException("gemm: dtype must be F32 or F64, got " + dtype);
        }
        if (batch < 0 || m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("gemm: negative size batch=" + batch + " m=" + m + " n=" + n + " k=" + k);
        }
        if (aBatchStride < 0 || bBatchStride < 0 || cBatchStride < 0 || aOffset < 0 || bOffset < 0 || cOffset < 0) {
            throw new IllegalArgumentException("gemm: negative offset or batch stride");
        }
        if (batch > 1 && cBatchStride < (long) m * ldc && m > 0 && n > 0) {
            throw new IllegalArgumentException("gemm: output batches overlap (batch stride " + cBatchStride
                    + " < m * ldc = " + (long) m * ldc + ")");
        }
        int aRows = transA ? k : m;
        int aCols = transA ? m : k;
        int bRows = transB ? n : k;
        int bCols = transB ? k : n;
        check("A", a, aOffset, lda, aBatchStride, aRows, aCols, batch, dtype);
        check("B", b, bOffset, ldb, bBatchStride, bRows, bCols, batch, dtype);
        check("C", c, cOffset, ldc, cBatchStride, m, n, batch, dtype);
    }

    private static void check(String name, Storage s, long offset, long ld, long batchStride, int rows, int cols,
                              int batch, DType dtype) {
        if (ld < Math.max(1, cols)) {
            throw new IllegalArgumentException("gemm: leading dimension of " + name + " is " + ld
                    + " but its rows have " + cols + " elements");
        }
        if (rows == 0 || cols == 0 || batch == 0) {
            return;
        }
        long last = offset + (long) (batch - 1) * batchStride + (long) (rows - 1) * ld + cols - 1;
        if ((last + 1) * dtype.byteSize() > s.byteSize()) {
            throw new IllegalArgumentException("gemm: " + name + " (" + rows + " x " + cols + ", ld " + ld
                    + ", batch " + batch + " x stride " + batchStride + ", offset " + offset
                    + ") reaches element " + last + " but its storage holds " + s.byteSize() / dtype.byteSize());
        }
    }

    /** Multiply-adds performed: 2 * batch * m * n * k floating-point operations. */
    public double flops() {
        return 2.0 * batch * m * n * k;
    }
}
