package dev.anvil.backend.cuda;

import static org.bytedeco.cuda.global.cublas.CUBLAS_DEFAULT_MATH;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_T;
import static org.bytedeco.cuda.global.cublas.CUBLAS_POINTER_MODE_HOST;
import static org.bytedeco.cuda.global.cublas.CUBLAS_TF32_TENSOR_OP_MATH;
import static org.bytedeco.cuda.global.cublas.cublasCreate_v2;
import static org.bytedeco.cuda.global.cublas.cublasDaxpy_v2;
import static org.bytedeco.cuda.global.cublas.cublasDgemmStridedBatched;
import static org.bytedeco.cuda.global.cublas.cublasGetVersion_v2;
import static org.bytedeco.cuda.global.cublas.cublasSaxpy_v2;
import static org.bytedeco.cuda.global.cublas.cublasSetMathMode;
import static org.bytedeco.cuda.global.cublas.cublasSetPointerMode_v2;
import static org.bytedeco.cuda.global.cublas.cublasSetStream_v2;
import static org.bytedeco.cuda.global.cublas.cublasSgemmStridedBatched;

import dev.anvil.DType;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;

/**
 * cuBLAS on the backend's stream: one handle, used under this object's lock (cuBLAS handles must not be
 * used by two threads at once). TF32 tensor-core math is off unless {@code -Danvil.cuda.tf32=true}, so F32
 * products match the CPU backends within the conformance tolerance.
 */
final class Blas {
    private final cublasContext handle = new cublasContext();
    private final boolean tf32;
    private final FloatPointer fAlpha = new FloatPointer(1);
    private final FloatPointer fBeta = new FloatPointer(1);
    private final DoublePointer dAlpha = new DoublePointer(1);
    private final DoublePointer dBeta = new DoublePointer(1);
    private final int version;

    Blas(CUstream_st stream, boolean tf32) {
        this.tf32 = tf32;
        Cuda.checkBlas(cublasCreate_v2(handle), "cublasCreate");
        Cuda.checkBlas(cublasSetStream_v2(handle, stream), "cublasSetStream");
        Cuda.checkBlas(cublasSetPointerMode_v2(handle, CUBLAS_POINTER_MODE_HOST), "cublasSetPointerMode");
        Cuda.checkBlas(cublasSetMathMode(handle, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
        int[] v = {0};
        Cuda.checkBlas(cublasGetVersion_v2(handle, v), "cublasGetVersion");
        version = v[0];
    }

    /** e.g. "cuBLAS 13.1.0" (cuBLAS encodes major * 10000 + minor * 100 + patch). */
    String describe() {
        return "cuBLAS " + version / 10000 + "." + version / 100 % 100 + "." + version % 100 + (tf32 ? " (TF32 on)" : "");
    }

    boolean tf32() {
        return tf32;
    }

    private static FloatPointer f32(long address) {
        return new FloatPointer(Cuda.at(address));
    }

    private static DoublePointer f64(long address) {
        return new DoublePointer(Cuda.at(address));
    }

    synchronized void gemm(GemmCall g) {
        int opA = g.transA() ? CUBLAS_OP_T : CUBLAS_OP_N;
        int opB = g.transB() ? CUBLAS_OP_T : CUBLAS_OP_N;
        if (g.dtype() == DType.F32) {
            fAlpha.put((float) g.alpha());
            fBeta.put((float) g.beta());
            Cuda.checkBlas(cublasSgemmStridedBatched(handle, opA, opB, g.m(), g.n(), g.k(), fAlpha,
                    f32(g.a()), g.lda(), g.strideA(), f32(g.b()), g.ldb(), g.strideB(), fBeta,
                    f32(g.c()), g.ldc(), g.strideC(), g.batch()), "cublasSgemmStridedBatched");
        } else {
            dAlpha.put(g.alpha());
            dBeta.put(g.beta());
            Cuda.checkBlas(cublasDgemmStridedBatched(handle, opA, opB, g.m(), g.n(), g.k(), dAlpha,
                    f64(g.a()), g.lda(), g.strideA(), f64(g.b()), g.ldb(), g.strideB(), dBeta,
                    f64(g.c()), g.ldc(), g.strideC(), g.batch()), "cublasDgemmStridedBatched");
        }
    }

    /** {@code y += alpha x} over {@code n} contiguous elements at device addresses x and y. */
    synchronized void axpy(DType t, long n, double alpha, long x, long y) {
        int es = t.byteSize();
        for (long done = 0; done < n; done += Integer.MAX_VALUE) {
            int len = (int) Math.min(Integer.MAX_VALUE, n - done);
            if (t == DType.F32) {
                fAlpha.put((float) alpha);
                Cuda.checkBlas(cublasSaxpy_v2(handle, len, fAlpha, f32(x + done * es), 1, f32(y + done * es), 1), "cublasSaxpy");
            } else {
                dAlpha.put(alpha);
                Cuda.checkBlas(cublasDaxpy_v2(handle, len, dAlpha, f64(x + done * es), 1, f64(y + done * es), 1), "cublasDaxpy");
            }
        }
    }

    /** The handle, for the benchmark's direct cuBLAS calls ("cuda-raw"); use under {@code synchronized (this)}. */
    cublasContext handle() {
        return handle;
    }
}
