package dev.anvil.backend.cuda;

import dev.anvil.DType;
import java.lang.foreign.MemorySegment;

/**
 * The few things the backend asks of a GPU. {@link CudaRuntime} is the real one (CUDA runtime, driver API,
 * cuBLAS, NVRTC); the tests substitute an emulator that runs the same {@code .cu} kernels on the CPU, so
 * every op's dispatch and every kernel's arithmetic is checked on machines without a GPU.
 *
 * <p>Addresses are device pointers; every call is enqueued in order on one stream except where noted.
 */
interface DeviceRuntime {

    /** Waits for all queued work (the real GPU); the emulator runs everything synchronously. */
    default void synchronize() {
    }

    /** Makes the device current on the calling thread (cheap after the first call). */
    void enter();

    /** Device memory for the caching allocator. */
    DeviceAllocator.Raw memory();

    void memset(long dst, int value, long bytes);

    void copyOnDevice(long dst, long src, long bytes);

    /** Returns once {@code src} may be reused; the copy completes before any later work. */
    void toDevice(MemorySegment src, long srcOffset, long dst, long bytes);

    /** Waits for all earlier work, then copies. */
    void toHost(long src, MemorySegment dst, long dstOffset, long bytes);

    /** Launches {@code kernel} on a 1-D grid; {@code args} is the pointer table cuLaunchKernel reads. */
    void launch(Kernel kernel, long blocks, int threads, MemorySegment args);

    /** Column-major batched GEMM, cuBLAS's terms. */
    void gemm(GemmCall call);

    /** {@code y += alpha x} over {@code n} contiguous elements. */
    void axpy(DType t, long n, double alpha, long x, long y);

    /** Streaming multiprocessors, to size grids. */
    int multiprocessors();

    /** Library versions and the kernels' target, for the device description. */
    String describe();
}
