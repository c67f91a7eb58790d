package dev.anvil.backend.cuda;

import dev.anvil.DType;
import dev.anvil.spi.Layout;
import dev.anvil.spi.ReduceOp;
import dev.anvil.spi.Storage;
import dev.anvil.spi.View;
import java.util.Arrays;

/** reduce, argReduce and softmax on the kernels of reduce.cu and softmax.cu. */
final class ReduceOps {
    private static final int MAX_THREADS = 256;
    private final Device dev;
    private final CudaBackend backend;

    ReduceOps(Device dev, CudaBackend backend) {
        this.dev = dev;
        this.backend = backend;
    }

    private static int[] pick(int[] values, int[] which) {
        int[] r = new int[which.length];
        for (int i = 0; i < which.length; i++) {
            r[i] = values[which[i]];
        }
        return r;
    }

    private static long[] pick(long[] values, int[] which) {
        long[] r = new long[which.length];
        for (int i = 0; i < which.length; i++) {
            r[i] = values[which[i]];
        }
        return r;
    }

    private static int[] complement(int rank, int[] axes) {
        int[] kept = new int[rank - axes.length];
        for (int i = 0, j = 0, k = 0; i < rank; i++) {
            if (j < axes.length && axes[j] == i) {
                j++;
            } else {
                kept[k++] = i;
            }
        }
        return kept;
    }

    void reduce(ReduceOp op, View x, int[] axes, View out) {
        int[] shape = x.shape();
        long[] xs = x.layout().strides();
        long[] os = out.layout().strides();
        int[] kept = complement(shape.length, axes);
        Strided inner = Strided.merged(pick(shape, axes), new long[][] {pick(xs, axes)}, new long[] {0});
        if (inner.rank() > Strided.MAX_RANK) {
            reduceInTwoSteps(op, x, axes, out);
            return;
        }
        Strided outer = Strided.merged(pick(shape, kept), new long[][] {pick(xs, kept), pick(os, kept)},
                new long[] {x.offset(), out.offset()});
        long redN = inner.numel;
        int xt = x.dtype().ordinal();
        int ot = out.dtype().ordinal();
        long xb = Operands.base(x);
        long ob = Operands.base(out);
        outer.forEachLaunch(o -> {
            long outN = o.numel;
            boolean neighbours = o.rank() > 0 && o.strides[0][o.rank() - 1] == 1
                    && (inner.rank() == 0 || inner.strides[0][inner.rank() - 1] != 1);
            if (outN >= 256 && (redN <= 32 || neighbours)) {
                dev.launch(Kernel.REDUCE_COLS, dev.blocks(outN, MAX_THREADS), MAX_THREADS, Launch.args().i32(op.ordinal())
                        .i32(xt).i32(ot).i64(outN).i64(redN).strided(o).strided(inner).ptr(xb).ptr(ob));
            } else {
                dev.launch(Kernel.REDUCE, Math.min(outN, 1L << 20), Operands.threadsFor(redN, MAX_THREADS), Launch.args()
                        .i32(op.ordinal()).i32(xt).i32(ot).i64(outN).i64(redN).strided(o).strided(inner).ptr(xb).ptr(ob));
            }
        });
    }

    /** More than eight separate reduced dimension groups: reduce the later axes into a temporary first. */
    private void reduceInTwoSteps(ReduceOp op, View x, int[] axes, View out) {
        int mid = axes.length / 2;
        int[] first = Arrays.copyOfRange(axes, mid, axes.length);
        int[] rest = Arrays.copyOf(axes, mid);
        int[] tmpShape = x.shape();
        for (int a : first) {
            tmpShape[a] = 1;
        }
        DType tt = out.dtype();
        Storage tmp = backend.allocate(Layout.numel(tmpShape) * tt.byteSize(), false);
        try {
            View t = new View(tmp, tt, Layout.contiguous(tmpShape));
            reduce(op, x, first, t);
            reduce(op, t, rest, out);
        } finally {
            tmp.release("cuda: temporary of a reduction");
        }
    }

    void argReduce(boolean max, View x, int axis, View out) {
        int[] shape = x.shape();
        int len = shape[axis];
        long step = x.layout().stride(axis);
        int[] outerShape = shape.clone();
        outerShape[axis] = 1;
        Strided outer = Strided.merged(outerShape, new long[][] {x.layout().strides(), out.layout().strides()},
                new long[] {x.offset(), out.offset()});
        int xt = x.dtype().ordinal();
        long xb = Operands.base(x);
        long ob = Operands.base(out);
        outer.forEachLaunch(o -> dev.launch(Kernel.ARGREDUCE, Math.min(o.numel, 1L << 20), Operands.threadsFor(len, MAX_THREADS),
                Launch.args().i32(max ? 1 : 0).i32(xt).i64(o.numel).i64(len).i64(step).strided(o).ptr(xb).ptr(ob)));
    }

    void softmax(View x, View out, boolean log) {
        if (!x.isContiguous() || !out.isContiguous()) {
            throw new IllegalArgumentException("softmax: the cuda backend needs contiguous input and output, got "
                    + x.layout() + " and " + out.layout());
        }
        DType t = x.dtype();
        Kernel k = switch (t) {
            case F32 -> Kernel.SOFTMAX_F32;
            case F64 -> Kernel.SOFTMAX_F64;
            default -> throw new IllegalArgumentException("softmax: the cuda backend needs F32 or F64 input, got " + t);
        };
        int[] shape = x.shape();
        long cols = shape.length == 0 ? 1 : shape[shape.length - 1];
        long rows = cols == 0 ? 0 : x.numel() / cols;
        if (rows == 0) {
            return;
        }
        dev.launch(k, Math.min(rows, 1L << 20), Operands.threadsFor(cols, MAX_THREADS),
                Launch.args().i64(rows).i64(cols).i32(log ? 1 : 0).ptr(Operands.first(x)).ptr(Operands.first(out)));
    }
}
