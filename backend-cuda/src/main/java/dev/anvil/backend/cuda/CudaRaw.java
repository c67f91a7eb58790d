package dev.anvil.backend.cuda;

import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.cublasSgemm_v2;

import dev.anvil.DType;
import dev.anvil.Tensor;
import org.bytedeco.javacpp.FloatPointer;

/**
 * {@code cublasSgemm} called directly on three cuda tensors' device memory, bypassing Anvil's dispatch: the
 * {@code cuda-raw} row of {@code anvil bench}, so the backend's overhead is a ratio measured in one run.
 * The call waits for the GPU to finish, so wall-clock timing is meaningful.
 *
 * <pre>{@code
 * Runnable raw = CudaRaw.sgemm(a, b, c);   // C = A B, contiguous square F32 matrices on the cuda backend
 * }</pre>
 */
public final class CudaRaw {
    private CudaRaw() {
    }

    /** A call computing {@code c = a b} for contiguous 2-D F32 tensors on the cuda backend. */
    public static Runnable sgemm(Tensor a, Tensor b, Tensor c) {
        if (a.rank() != 2 || b.rank() != 2 || c.rank() != 2 || a.dim(1) != b.dim(0) || c.dim(0) != a.dim(0)
                || c.dim(1) != b.dim(1)) {
            throw new IllegalArgumentException("cuda-raw sgemm: shapes " + a.shape() + " x " + b.shape() + " -> " + c.shape()
                    + " do not match");
        }
        for (Tensor t : new Tensor[] {a, b, c}) {
            if (t.dtype() != DType.F32 || !t.isContiguous() || !(t.backend() instanceof CudaBackend cb)
                    || !(cb.deviceState().rt instanceof CudaRuntime)) {
                throw new IllegalArgumentException("cuda-raw sgemm: needs contiguous F32 tensors on the GPU, got " + t.describe());
            }
        }
        CudaBackend backend = (CudaBackend) a.backend();
        CudaRuntime rt = (CudaRuntime) backend.deviceState().rt;
        int m = a.dim(0);
        int k = a.dim(1);
        int n = b.dim(1);
        long pa = Operands.first(a.view());
        long pb = Operands.first(b.view());
        long pc = Operands.first(c.view());
        FloatPointer alpha = new FloatPointer(1).put(1f);
        FloatPointer beta = new FloatPointer(1).put(0f);
        FloatPointer fa = new FloatPointer(Cuda.at(pa));
        FloatPointer fb = new FloatPointer(Cuda.at(pb));
        FloatPointer fc = new FloatPointer(Cuda.at(pc));
        return () -> {
            rt.enter();
            synchronized (rt.blas) { // row-major C = A B is column-major C^T = B^T A^T
                Cuda.checkBlas(cublasSgemm_v2(rt.blas.handle(), CUBLAS_OP_N, CUBLAS_OP_N, n, m, k, alpha, fb, n, fa, k, beta,
                        fc, n), "cublasSgemm");
            }
            rt.sync();
        };
    }
}
