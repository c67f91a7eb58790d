package dev.anvil.backend.openblas;

import dev.anvil.DType;
import dev.anvil.backend.vector.VectorProvider;
import dev.anvil.backend.reference.ReferenceProvider;
import dev.anvil.spi.Axpy;
import dev.anvil.spi.Backend;
import dev.anvil.spi.BinaryOp;
import dev.anvil.spi.ConvGeometry;
import dev.anvil.spi.DeviceInfo;
import dev.anvil.spi.GemmSpec;
import dev.anvil.spi.HostBackend;
import dev.anvil.spi.HostStorage;
import dev.anvil.spi.MemoryStats;
import dev.anvil.spi.ReduceOp;
import dev.anvil.spi.Storage;
import dev.anvil.spi.UnaryOp;
import dev.anvil.spi.View;
import java.lang.foreign.MemorySegment;
import java.util.Optional;
import org.bytedeco.openblas.global.openblas;

/**
 * GEMM, GEMV and AXPY through OpenBLAS on the storages' own native memory (the segment's address is handed
 * to {@code cblas_?gemm}: no copy in or out); every other primitive runs the cpu-vector kernels on the same
 * host storage, so tensors of the two backends mix freely.
 *
 * <p>Which GEMM runs a product was measured, not guessed (2 cores, AVX2, 2026-11-28; x W^T and x W layouts,
 * median of 7 x 50 calls): OpenBLAS was faster than the Vector API kernel at every shape tried, from 64^3
 * (37 vs 47 us) through the MLP's 128x784x256 (0.50 vs 0.90 ms) to 512^3 (2.1 vs 2.7 ms), and for batch-1
 * products (1x784x256: 21 vs 53 us). So every product goes to BLAS; {@code -Danvil.openblas.minFlops=N}
 * sends products under N flops to the vector kernel instead, for machines where that measures better.
 */
final class OpenBlasBackend extends HostBackend {
    /** Products under this many flops (2mnk) run on the Vector API kernel; 0 (the measured default): none do. */
    static final double BLAS_MIN_FLOPS = Double.parseDouble(System.getProperty("anvil.openblas.minFlops", "0"));

    private final Backend kernels = delegate();
    private final DeviceInfo device = OpenBlas.describe();

    private static Backend delegate() {
        VectorProvider v = new VectorProvider();
        return v.probe().available() ? v.create() : new ReferenceProvider().create();
    }

    @Override
    public String name() {
        return OpenBlasProvider.NAME;
    }

    @Override
    public DeviceInfo device() {
        return device;
    }

    // ------------------------------------------------------------------ BLAS

    @Override
    public void gemm(GemmSpec g) {
        if (g.flops() < BLAS_MIN_FLOPS || g.k() == 0 || !fitsInt(g)) {
            kernels.gemm(g);
            return;
        }
        if (g.m() == 1 || g.n() == 1) {
            gemv(g);
            return;
        }
        long a = address(g.a());
        long b = address(g.b());
        long c = address(g.c());
        int ta = g.transA() ? OpenBlas.TRANS : OpenBlas.NO_TRANS;
        int tb = g.transB() ? OpenBlas.TRANS : OpenBlas.NO_TRANS;
        int es = g.dtype().byteSize();
        for (int p = 0; p < g.batch(); p++) {
            long ao = a + (g.aOffset() + p * g.aBatchStride()) * es;
            long bo = b + (g.bOffset() + p * g.bBatchStride()) * es;
            long co = c + (g.cOffset() + p * g.cBatchStride()) * es;
            if (g.dtype() == DType.F32) {
                openblas.cblas_sgemm(OpenBlas.ROW_MAJOR, ta, tb, g.m(), g.n(), g.k(), (float) g.alpha(),
                        OpenBlas.floatSlot(0, ao), (int) g.lda(), OpenBlas.floatSlot(1, bo), (int) g.ldb(), (float) g.beta(),
                        OpenBlas.floatSlot(2, co), (int) g.ldc());
            } else {
                openblas.cblas_dgemm(OpenBlas.ROW_MAJOR, ta, tb, g.m(), g.n(), g.k(), g.alpha(),
                        OpenBlas.doubles(ao, 0), (int) g.lda(), OpenBlas.doubles(bo, 0), (int) g.ldb(), g.beta(),
                        OpenBlas.doubles(co, 0), (int) g.ldc());
            }
        }
    }

    /** One row or one column of output: a matrix-vector product, which BLAS does without GEMM's packing. */
    private void gemv(GemmSpec g) {
        long a = address(g.a());
        long b = address(g.b());
        long c = address(g.c());
        int es = g.dtype().byteSize();
        for (int p = 0; p < g.batch(); p++) {
            long ao = a + (g.aOffset() + p * g.aBatchStride()) * es;
            long bo = b + (g.bOffset() + p * g.bBatchStride()) * es;
            long co = c + (g.cOffset() + p * g.cBatchStride()) * es;
            int trans;
            int rows;
            int cols;
            long mat;
            int ld;
            long x;
            int incx;
            long y;
            int incy;
            if (g.n() == 1) {
                // C[m x 1] = op(A) x, x = column of op(B); A stored m x k (or k x m when transposed)
                mat = ao;
                ld = (int) g.lda();
                trans = g.transA() ? OpenBlas.TRANS : OpenBlas.NO_TRANS;
                rows = g.transA() ? g.k() : g.m();
                cols = g.transA() ? g.m() : g.k();
                x = bo;
                incx = g.transB() ? 1 : (int) g.ldb();
                y = co;
                incy = (int) g.ldc();
            } else {
                // C[1 x n] = x^T op(B), i.e. y = op(B)^T x; B stored k x n (or n x k when transposed)
                mat = bo;
                ld = (int) g.ldb();
                trans = g.transB() ? OpenBlas.NO_TRANS : OpenBlas.TRANS;
                rows = g.transB() ? g.n() : g.k();
                cols = g.transB() ? g.k() : g.n();
                x = ao;
                incx = g.transA() ? (int) g.lda() : 1;
                y = co;
                incy = 1;
            }
            if (g.dtype() == DType.F32) {
                openblas.cblas_sgemv(OpenBlas.ROW_MAJOR, trans, rows, cols, (float) g.alpha(), OpenBlas.floatSlot(0, mat), ld,
                        OpenBlas.floatSlot(1, x), incx, (float) g.beta(), OpenBlas.floatSlot(2, y), incy);
            } else {
                openblas.cblas_dgemv(OpenBlas.ROW_MAJOR, trans, rows, cols, g.alpha(), OpenBlas.doubles(mat, 0), ld,
                        OpenBlas.doubles(x, 0), incx, g.beta(), OpenBlas.doubles(y, 0), incy);
            }
        }
    }

    private static boolean fitsInt(GemmSpec g) {
        return g.lda() <= Integer.MAX_VALUE && g.ldb() <= Integer.MAX_VALUE && g.ldc() <= Integer.MAX_VALUE;
    }

    private static long address(Storage s) {
        return ((HostStorage) s).segment().address();
    }

    private final Axpy axpy = (alpha, x, y) -> {
        long n = x.numel();
        if (n > Integer.MAX_VALUE || n < 4096 || (x.dtype() != DType.F32 && x.dtype() != DType.F64)) {
            // small vectors: the Java kernel avoids the native call; huge ones exceed BLAS's int count
            kernels.kernel(Axpy.class).orElseThrow().axpy(alpha, x, y);
            return;
        }
        int es = x.dtype().byteSize();
        long xa = x.segment().address() + x.offset() * es;
        long ya = y.segment().address() + y.offset() * es;
        if (x.dtype() == DType.F32) {
            openblas.cblas_saxpy((int) n, (float) alpha, OpenBlas.floats(xa, 0), 1, OpenBlas.floats(ya, 0), 1);
        } else {
            openblas.cblas_daxpy((int) n, alpha, OpenBlas.doubles(xa, 0), 1, OpenBlas.doubles(ya, 0), 1);
        }
    };

    @Override
    public <T> Optional<T> kernel(Class<T> type) {
        if (type == Axpy.class && kernels.kernel(Axpy.class).isPresent()) {
            return Optional.of(type.cast(axpy));
        }
        return kernels.kernel(type);
    }

    // ------------------------------------------------------------------ delegated to the vector kernels

    @Override
    public void copyFromHost(MemorySegment src, View dst) {
        kernels.copyFromHost(src, dst);
    }

    @Override
    public void copyToHost(View src, MemorySegment dst) {
        kernels.copyToHost(src, dst);
    }

    @Override
    public void fill(View dst, double value) {
        kernels.fill(dst, value);
    }

    @Override
    public void copy(View src, View dst) {
        kernels.copy(src, dst);
    }

    @Override
    public void unary(UnaryOp op, View x, View out) {
        kernels.unary(op, x, out);
    }

    @Override
    public void binary(BinaryOp op, View a, View b, View out) {
        kernels.binary(op, a, b, out);
    }

    @Override
    public void where(View cond, View a, View b, View out) {
        kernels.where(cond, a, b, out);
    }

    @Override
    public void reduce(ReduceOp op, View x, int[] axes, View out) {
        kernels.reduce(op, x, axes, out);
    }

    @Override
    public void argReduce(boolean max, View x, int axis, View out) {
        kernels.argReduce(max, x, axis, out);
    }

    @Override
    public void softmax(View x, View out, boolean log) {
        kernels.softmax(x, out, log);
    }

    @Override
    public void im2col(View x, ConvGeometry g, View cols) {
        kernels.im2col(x, g, cols);
    }

    @Override
    public void col2im(View cols, ConvGeometry g, View x) {
        kernels.col2im(cols, g, x);
    }

    @Override
    public void gather(View x, int axis, View index, View out) {
        kernels.gather(x, axis, index, out);
    }

    @Override
    public void scatterAdd(View src, int axis, View index, View out) {
        kernels.scatterAdd(src, axis, index, out);
    }
}
