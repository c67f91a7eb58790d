package dev.anvil.backend.vector;

import dev.anvil.DType;
import dev.anvil.backend.reference.ReferenceBackend;
import dev.anvil.spi.AdamStep;
import dev.anvil.spi.ConvEpilogue;
import dev.anvil.spi.DirectConv;
import dev.anvil.spi.MaxPool;
import dev.anvil.spi.MaxPoolLoops;
import dev.anvil.spi.Axpy;
import dev.anvil.spi.BatchIm2col;
import dev.anvil.spi.Backend;
import dev.anvil.spi.BinaryOp;
import dev.anvil.spi.ConvGeometry;
import dev.anvil.spi.DeviceInfo;
import dev.anvil.spi.GemmSpec;
import dev.anvil.spi.HostBackend;
import dev.anvil.spi.HostStorage;
import dev.anvil.spi.Int8Gemm;
import dev.anvil.spi.MemoryStats;
import dev.anvil.spi.ReduceOp;
import dev.anvil.spi.ReluBackward;
import dev.anvil.spi.Storage;
import dev.anvil.spi.UnaryOp;
import dev.anvil.spi.View;
import java.lang.foreign.MemorySegment;
import java.util.Optional;

/**
 * The cpu-vector backend: host memory from its own caching allocator, kernels written with the Vector API
 * for F32 (and F64 for the cheap elementwise ops, sums and softmax), split over the shared
 * {@link dev.anvil.spi.ComputePool} above {@link Runs#GRAIN} elements. Integer, BOOL and half-precision
 * arithmetic, and casts between two non-F32 types, run on the reference kernels: they only touch memory
 * segments, so they work on this backend's storages unchanged.
 */
public final class VectorBackend extends HostBackend {
    /** Used for its kernels only; its own allocator stays empty. */
    private final ReferenceBackend reference = new ReferenceBackend();
    private final DeviceInfo device = VectorDevice.describe();
    private final Axpy axpy = new VectorAxpy();

    @Override
    public String name() {
        return VectorProvider.NAME;
    }

    @Override
    public DeviceInfo device() {
        return device;
    }

    @Override
    public void copyFromHost(MemorySegment src, View dst) {
        CopyKernels.fromHost(src, dst);
    }

    @Override
    public void copyToHost(View src, MemorySegment dst) {
        CopyKernels.toHost(src, dst);
    }

    @Override
    public void fill(View dst, double value) {
        CopyKernels.fill(dst, value);
    }

    @Override
    public void copy(View src, View dst) {
        if (!CopyKernels.copy(src, dst)) {
            reference.copy(src, dst);
        }
    }

    @Override
    public void unary(UnaryOp op, View x, View out) {
        switch (x.dtype()) {
            case F32 -> UnaryKernels.f32(op, x, out);
            case F64 -> UnaryKernels.f64(op, x, out);
            default -> reference.unary(op, x, out);
        }
    }

    @Override
    public void binary(BinaryOp op, View a, View b, View out) {
        switch (a.dtype()) {
            case F32 -> BinaryKernels.f32(op, a, b, out);
            case F64 -> BinaryKernels.f64(op, a, b, out);
            default -> reference.binary(op, a, b, out);
        }
    }

    @Override
    public void where(View cond, View a, View b, View out) {
        if (cond.dtype() == DType.BOOL) {
            BinaryKernels.where(cond, a, b, out);
        } else {
            reference.where(cond, a, b, out);
        }
    }

    @Override
    public void reduce(ReduceOp op, View x, int[] axes, View out) {
        if (floating(x.dtype()) && out.dtype() == x.dtype() && out.isContiguous()) {
            ReduceKernels.reduce(op, x, axes, out);
        } else {
            reference.reduce(op, x, axes, out);
        }
    }

    @Override
    public void argReduce(boolean max, View x, int axis, View out) {
        if (floating(x.dtype()) && out.dtype() == DType.I64) {
            ReduceKernels.arg(max, x, axis, out);
        } else {
            reference.argReduce(max, x, axis, out);
        }
    }

    @Override
    public void softmax(View x, View out, boolean log) {
        if (floating(x.dtype()) && out.dtype() == x.dtype() && x.isContiguous() && out.isContiguous()) {
            SoftmaxKernels.softmax(x, out, log);
        } else {
            reference.softmax(x, out, log);
        }
    }

    @Override
    public void gemm(GemmSpec spec) {
        VectorGemm.gemm(spec);
    }

    @Override
    public void im2col(View x, ConvGeometry g, View cols) {
        ConvKernels.im2col(x, g, cols, false);
    }

    @Override
    public void col2im(View cols, ConvGeometry g, View x) {
        if (floating(x.dtype())) {
            ConvKernels.col2im(cols, g, x, false);
        } else {
            reference.col2im(cols, g, x);
        }
    }

    @Override
    public void gather(View x, int axis, View index, View out) {
        if (index(index.dtype())) {
            IndexKernels.gather(x, axis, index, out);
        } else {
            reference.gather(x, axis, index, out);
        }
    }

    @Override
    public void scatterAdd(View src, int axis, View index, View out) {
        if (floating(out.dtype()) && src.dtype() == out.dtype() && index(index.dtype())) {
            IndexKernels.scatterAdd(src, axis, index, out);
        } else {
            reference.scatterAdd(src, axis, index, out);
        }
    }

    private final AdamStep adam = new VectorAdam();
    private final MaxPool maxPool = new MaxPoolLoops(true);
    private final ReluBackward reluBackward = new VectorReluBackward();
    private final ConvEpilogue convEpilogue = new VectorConvEpilogue();
    private final DirectConv directConv = new VectorDirectConv();
    private final BatchIm2col batchIm2col = new BatchIm2col() {
        @Override
        public void im2col(View x, ConvGeometry g, View cols) {
            ConvKernels.im2col(x, g, cols, true);
        }

        @Override
        public void col2im(View cols, ConvGeometry g, View x) {
            if (!floating(x.dtype())) { // the API folds floating tensors only
                throw new IllegalArgumentException("col2im (batch columns): needs F32 or F64, got " + x.dtype());
            }
            ConvKernels.col2im(cols, g, x, true);
        }
    };
    private final Int8Gemm int8Gemm = new VectorInt8Gemm();

    @Override
    public <T> Optional<T> kernel(Class<T> type) {
        if (type == Axpy.class) {
            return Optional.of(type.cast(axpy));
        }
        if (type == AdamStep.class) {
            return Optional.of(type.cast(adam));
        }
        if (type == MaxPool.class) {
            return Optional.of(type.cast(maxPool));
        }
        if (type == ReluBackward.class) {
            return Optional.of(type.cast(reluBackward));
        }
        if (type == ConvEpilogue.class) {
            return Optional.of(type.cast(convEpilogue));
        }
        if (type == DirectConv.class) {
            return Optional.of(type.cast(directConv));
        }
        if (type == BatchIm2col.class) {
            return Optional.of(type.cast(batchIm2col));
        }
        if (type == Int8Gemm.class) {
            return Optional.of(type.cast(int8Gemm));
        }
        return Optional.empty();
    }

    /** The dtypes with SIMD kernels here; the rest go to the reference kernels. */
    private static boolean floating(DType t) {
        return t == DType.F32 || t == DType.F64;
    }

    private static boolean index(DType t) {
        return t == DType.I64 || t == DType.I32;
    }
}
