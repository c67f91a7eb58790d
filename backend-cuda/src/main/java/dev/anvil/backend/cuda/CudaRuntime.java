package dev.anvil.backend.cuda;

import static org.bytedeco.cuda.global.cudart.cuCtxGetCurrent;
import static org.bytedeco.cuda.global.cudart.cuCtxSetCurrent;
import static org.bytedeco.cuda.global.cudart.cuDevicePrimaryCtxRetain;
import static org.bytedeco.cuda.global.cudart.cuLaunchKernel;
import static org.bytedeco.cuda.global.cudart.cudaErrorMemoryAllocation;
import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaGetLastError;
import static org.bytedeco.cuda.global.cudart.cudaMalloc;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToDevice;
import static org.bytedeco.cuda.global.cudart.cudaMemsetAsync;
import static org.bytedeco.cuda.global.cudart.cudaSetDevice;
import static org.bytedeco.cuda.global.cudart.cudaStreamCreateWithFlags;
import static org.bytedeco.cuda.global.cudart.cudaStreamNonBlocking;
import static org.bytedeco.cuda.global.cudart.cudaStreamSynchronize;

import dev.anvil.DType;
import java.lang.foreign.MemorySegment;
import org.bytedeco.cuda.cudart.CUctx_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * The real GPU: the device's primary context, one non-blocking stream that every operation of every thread
 * is enqueued on, the NVRTC-compiled kernels, cuBLAS and the pinned staging buffers.
 *
 * <p>Why one stream: work runs in the order the Java threads issued it, so a tensor computed by one thread
 * and read by another, or a block freed by one op and handed to the next, needs no events; the host waits
 * only when data leaves the device ({@link Staging#toHost}), including a kernel's error report.
 */
final class CudaRuntime implements DeviceRuntime {
    private final int ordinal;
    private final int multiprocessors;
    private final CUctx_st context = new CUctx_st();
    private final ThreadLocal<Boolean> bound = new ThreadLocal<>();
    final CUstream_st stream = new CUstream_st();
    final Staging staging;
    final Blas blas;
    final Kernels kernels;
    private final DeviceAllocator.Raw memory = new DeviceAllocator.Raw() {
        @Override
        public long malloc(long bytes) {
            Pointer p = new Pointer();
            int rc = cudaMalloc(p, bytes);
            if (rc == cudaErrorMemoryAllocation) {
                cudaGetLastError(); // clear it: the allocator empties its cache and retries
                return 0;
            }
            Cuda.check(rc, "cudaMalloc(" + bytes + ")");
            return p.address();
        }

        @Override
        public void free(long address) {
            Cuda.check(cudaFree(Cuda.at(address)), "cudaFree");
        }

        @Override
        public void synchronize() {
            sync();
        }
    };

    CudaRuntime(int ordinal, int computeCapability, int multiprocessors, boolean tf32) {
        this.ordinal = ordinal;
        this.multiprocessors = multiprocessors;
        Cuda.check(cudaSetDevice(ordinal), "cudaSetDevice(" + ordinal + ")");
        Cuda.check(cudaFree(null), "initialising the CUDA context");
        Cuda.checkDriver(cuCtxGetCurrent(context), "cuCtxGetCurrent");
        if (context.isNull()) { // the runtime made no context current: take the primary one ourselves
            Cuda.checkDriver(cuDevicePrimaryCtxRetain(context, ordinal), "cuDevicePrimaryCtxRetain");
            Cuda.checkDriver(cuCtxSetCurrent(context), "cuCtxSetCurrent");
        }
        bound.set(Boolean.TRUE);
        Cuda.check(cudaStreamCreateWithFlags(stream, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
        staging = new Staging(stream);
        blas = new Blas(stream, tf32);
        kernels = Kernels.compile(computeCapability);
    }

    @Override
    public void enter() {
        if (bound.get() == null) {
            Cuda.checkDriver(cuCtxSetCurrent(context), "cuCtxSetCurrent");
            Cuda.check(cudaSetDevice(ordinal), "cudaSetDevice(" + ordinal + ")");
            bound.set(Boolean.TRUE);
        }
    }

    @Override
    public void synchronize() {
        enter();
        sync();
    }

    /** Waits for every enqueued operation; reports a failed kernel. */
    void sync() {
        Cuda.check(cudaStreamSynchronize(stream), "cudaStreamSynchronize (an earlier kernel failed)");
    }

    @Override
    public DeviceAllocator.Raw memory() {
        return memory;
    }

    @Override
    public void memset(long dst, int value, long bytes) {
        Cuda.check(cudaMemsetAsync(Cuda.at(dst), value, bytes, stream), "cudaMemsetAsync");
    }

    @Override
    public void copyOnDevice(long dst, long src, long bytes) {
        Cuda.check(cudaMemcpyAsync(Cuda.at(dst), Cuda.at(src), bytes, cudaMemcpyDeviceToDevice, stream),
                "cudaMemcpyAsync device to device");
    }

    @Override
    public void toDevice(MemorySegment src, long srcOffset, long dst, long bytes) {
        staging.toDevice(src, srcOffset, dst, bytes);
    }

    @Override
    public void toHost(long src, MemorySegment dst, long dstOffset, long bytes) {
        staging.toHost(src, dst, dstOffset, bytes);
    }

    @Override
    public void launch(Kernel kernel, long blocks, int threads, MemorySegment args) {
        // The PointerPointer overload passes the table's address as the void** kernelParams; the Pointer overload
        // is @ByPtrPtr and would pass the address of a temporary holding it.
        PointerPointer<Pointer> params = new PointerPointer<>(Cuda.at(args.address()));
        int rc = cuLaunchKernel(kernels.get(kernel), (int) Math.min(blocks, Integer.MAX_VALUE), 1, 1, threads, 1, 1, 0, stream,
                params, (PointerPointer<?>) null);
        Cuda.checkDriver(rc, "cuLaunchKernel(" + kernel.symbol() + ")");
    }

    @Override
    public void gemm(GemmCall call) {
        blas.gemm(call);
    }

    @Override
    public void axpy(DType t, long n, double alpha, long x, long y) {
        blas.axpy(t, n, alpha, x, y);
    }

    @Override
    public int multiprocessors() {
        return multiprocessors;
    }

    @Override
    public String describe() {
        return blas.describe() + ", TF32 " + (blas.tf32() ? "on" : "off") + "; kernels: NVRTC " + kernels.target() + " in "
                + kernels.compileMillis() + " ms";
    }
}
