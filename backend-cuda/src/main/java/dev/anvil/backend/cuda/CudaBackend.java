package dev.anvil.backend.cuda;

import dev.anvil.DType;
import dev.anvil.spi.Axpy;
import dev.anvil.spi.Backend;
import dev.anvil.spi.BinaryOp;
import dev.anvil.spi.ConvGeometry;
import dev.anvil.spi.DeviceInfo;
import dev.anvil.spi.GemmSpec;
import dev.anvil.spi.MemoryStats;
import dev.anvil.spi.ReduceOp;
import dev.anvil.spi.Storage;
import dev.anvil.spi.UnaryOp;
import dev.anvil.spi.View;
import java.lang.foreign.MemorySegment;
import java.util.Optional;

/**
 * The CUDA backend: device memory from a caching allocator, GEMM through cuBLAS, every other primitive a
 * CUDA C kernel compiled at start-up with NVRTC (see {@link Kernels}), all enqueued on one stream.
 * Transfers go through pinned staging buffers; the host waits only when data comes back.
 */
public final class CudaBackend implements Backend {
    public static final String NAME = "cuda";

    private final String name;
    private final Device dev;
    private final DeviceInfo info;
    private final ElementwiseOps elementwise;
    private final ReduceOps reductions;
    private final IndexOps indexing;
    private final Axpy axpy = this::axpy;

    CudaBackend(CudaProbe.Found found) {
        this(NAME, new CudaRuntime(found.ordinal(), found.computeCapability(), found.info().cores(),
                Boolean.getBoolean("anvil.cuda.tf32")), found.info());
    }

    /** A backend over any runtime (the tests' CPU emulator names itself differently). */
    CudaBackend(String name, DeviceRuntime rt, DeviceInfo d) {
        this.name = name;
        this.dev = new Device(rt);
        this.info = new DeviceInfo(d.name(), d.cores(), d.memoryBytes(), d.vectorBits(), d.peakGflops(),
                d.details() + ", " + rt.describe());
        this.elementwise = new ElementwiseOps(dev);
        this.reductions = new ReduceOps(dev, this);
        this.indexing = new IndexOps(dev);
    }

    /** The device, for tests and the benchmark (same package). */
    Device deviceState() {
        return dev;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public DeviceInfo device() {
        return info;
    }

    @Override
    public MemoryStats memory() {
        return dev.allocator.stats();
    }

    @Override
    public void emptyCache() {
        dev.rt.enter();
        dev.allocator.emptyCache();
    }

    @Override
    public void synchronize() {
        dev.rt.synchronize();
    }

    @Override
    public boolean isHost() {
        return false;
    }

    // ---------------------------------------------------------------- memory

    @Override
    public Storage allocate(long bytes, boolean zeroed) {
        dev.rt.enter();
        DeviceAllocator.Block b = dev.allocator.allocate(bytes);
        if (zeroed && bytes > 0) {
            dev.rt.memset(b.address(), 0, bytes);
        }
        return new CudaStorage(this, b.address(), bytes, b.freer());
    }

    @Override
    public void copyFromHost(MemorySegment src, View dst) {
        requireContiguous("copyFromHost", dst);
        long bytes = dst.numel() * dst.dtype().byteSize();
        if (bytes > 0) {
            dev.rt.enter();
            dev.rt.toDevice(src, 0, Operands.first(dst), bytes);
        }
    }

    @Override
    public void copyToHost(View src, MemorySegment dst) {
        requireContiguous("copyToHost", src);
        long bytes = src.numel() * src.dtype().byteSize();
        if (bytes > 0) {
            dev.rt.enter();
            dev.rt.toHost(Operands.first(src), dst, 0, bytes);
        }
    }

    private static void requireContiguous(String op, View v) {
        if (!v.isContiguous()) {
            throw new IllegalArgumentException(op + ": the cuda backend needs a contiguous view, got " + v.layout());
        }
    }

    @Override
    public void fill(View dst, double value) {
        dev.rt.enter();
        elementwise.fill(dst, value);
    }

    @Override
    public void copy(View src, View dst) {
        dev.rt.enter();
        elementwise.copy(src, dst);
    }

    // ---------------------------------------------------------------- elementwise

    @Override
    public void unary(UnaryOp op, View x, View out) {
        dev.rt.enter();
        elementwise.unary(op, x, out);
    }

    @Override
    public void binary(BinaryOp op, View a, View b, View out) {
        dev.rt.enter();
        elementwise.binary(op, a, b, out);
    }

    @Override
    public void where(View cond, View a, View b, View out) {
        dev.rt.enter();
        elementwise.where(cond, a, b, out);
    }

    // ---------------------------------------------------------------- reductions

    @Override
    public void reduce(ReduceOp op, View x, int[] axes, View out) {
        dev.rt.enter();
        reductions.reduce(op, x, axes, out);
    }

    @Override
    public void argReduce(boolean max, View x, int axis, View out) {
        dev.rt.enter();
        reductions.argReduce(max, x, axis, out);
    }

    @Override
    public void softmax(View x, View out, boolean log) {
        dev.rt.enter();
        reductions.softmax(x, out, log);
    }

    // ---------------------------------------------------------------- linear algebra

    @Override
    public void gemm(GemmSpec spec) {
        if (spec.batch() == 0 || spec.m() == 0 || spec.n() == 0) {
            return;
        }
        dev.rt.enter();
        dev.rt.gemm(GemmCall.of(spec));
    }

    @Override
    public void im2col(View x, ConvGeometry g, View cols) {
        dev.rt.enter();
        indexing.im2col(x, g, cols);
    }

    @Override
    public void col2im(View cols, ConvGeometry g, View x) {
        dev.rt.enter();
        indexing.col2im(cols, g, x);
    }

    // ---------------------------------------------------------------- indexing

    @Override
    public void gather(View x, int axis, View index, View out) {
        dev.rt.enter();
        indexing.gather(x, axis, index, out);
    }

    @Override
    public void scatterAdd(View src, int axis, View index, View out) {
        dev.rt.enter();
        indexing.scatterAdd(src, axis, index, out);
    }

    // ---------------------------------------------------------------- fused kernels

    private void axpy(double alpha, View x, View y) {
        DType t = y.dtype();
        if (x.dtype() != t || (t != DType.F32 && t != DType.F64) || !x.isContiguous() || !y.isContiguous()
                || x.numel() != y.numel()) {
            throw new IllegalArgumentException("axpy: needs contiguous F32 or F64 views of one type and size, got "
                    + x.dtype() + " " + x.layout() + " and " + t + " " + y.layout());
        }
        dev.rt.enter();
        dev.rt.axpy(t, y.numel(), alpha, Operands.first(x), Operands.first(y));
    }

    @Override
    public <T> Optional<T> kernel(Class<T> type) {
        return type == Axpy.class ? Optional.of(type.cast(axpy)) : Optional.empty();
    }
}
