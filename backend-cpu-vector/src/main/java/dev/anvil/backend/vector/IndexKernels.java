package dev.anvil.backend.vector;

import static dev.anvil.backend.vector.Simd.F;
import static dev.anvil.backend.vector.Simd.F32;
import static dev.anvil.backend.vector.Simd.F64;
import static dev.anvil.backend.vector.Simd.NO;

import dev.anvil.DType;
import dev.anvil.spi.Layout;
import dev.anvil.spi.StridedIter;
import dev.anvil.spi.View;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;

/**
 * gather and scatter-add along an axis. When the index is constant along a run (stride 0, as an embedding
 * lookup's expanded index is), the whole run moves as one bulk copy or one vector add.
 */
final class IndexKernels {
    private IndexKernels() {
    }

    /** x's strides over index's shape with the indexed axis zeroed: the position before the index is added. */
    private static Layout alongIndex(View x, int axis, View index) {
        long[] strides = x.layout().strides().clone();
        strides[axis] = 0;
        return new Layout(index.shape(), strides, x.offset());
    }

    private static long checked(String op, MemorySegment is, boolean i64, long at, int axis, int size) {
        long v = i64 ? is.getAtIndex(ValueLayout.JAVA_LONG, at) : is.getAtIndex(ValueLayout.JAVA_INT, at);
        if (v < 0 || v >= size) {
            throw new IllegalArgumentException(op + ": index " + v + " is out of range for axis " + axis + " of size " + size);
        }
        return v;
    }

    /** Any dtype of x (elements are moved, not computed); index I64 or I32. */
    static void gather(View x, int axis, View index, View out) {
        MemorySegment xs = x.segment();
        MemorySegment is = index.segment();
        MemorySegment os = out.segment();
        boolean i64 = index.dtype() == DType.I64;
        int size = x.shape()[axis];
        long step = x.layout().stride(axis);
        CopyKernels.Converter move = CopyKernels.raw(x.dtype().byteSize());
        Runs.forEach(index.shape(), (off, str, n) -> {
            if (str[0] == 0) {
                long k = checked("gather", is, i64, off[0], axis, size);
                move.run(xs, off[2] + k * step, str[2], os, off[1], str[1], n);
                return;
            }
            for (int i = 0; i < n; i++) {
                long k = checked("gather", is, i64, off[0] + i * str[0], axis, size);
                move.run(xs, off[2] + i * str[2] + k * step, 1, os, off[1] + i * str[1], 1, 1);
            }
        }, index.layout(), out.layout(), alongIndex(x, axis, index));
    }

    /**
     * F32 and F64. Two index entries may name the same output element only when they share every coordinate
     * but the indexed axis, so the slices along another axis go to different threads, and inside a slice the
     * additions run in the reference's order: the result is bitwise the reference's whatever the thread count.
     */
    static void scatterAdd(View src, int axis, View index, View out) {
        if (scatterRowsF32(src, axis, index, out)) {
            return;
        }
        int rank = index.shape().length;
        int split = axis == 0 ? 1 : 0;
        if (rank < 2 || index.shape()[split] < 2 || index.numel() < 2 * Runs.GRAIN) {
            scatterAddSequential(src, axis, index, out);
            return;
        }
        int slices = index.shape()[split];
        Runs.parallel(slices, index.numel() / slices, (from, to) -> {
            int count = (int) (to - from);
            scatterAddSequential(slice(src, split, from, count), axis, slice(index, split, from, count),
                    slice(out, split, from, count));
            return 0;
        });
    }

    /**
     * The last axis of contiguous F32 operands with an I64 index and the same leading dimensions (the gradient
     * of max pooling): row by row through heap copies, the additions of a row in the reference's order.
     * False when the operands do not have that form.
     */
    private static boolean scatterRowsF32(View src, int axis, View index, View out) {
        int[] is = index.shape();
        int[] os = out.shape();
        int rank = is.length;
        if (axis != rank - 1 || src.dtype() != DType.F32 || out.dtype() != DType.F32 || index.dtype() != DType.I64
                || !src.isContiguous() || !index.isContiguous() || !out.isContiguous()) {
            return false;
        }
        for (int d = 0; d < rank - 1; d++) {
            if (is[d] != os[d]) {
                return false;
            }
        }
        int len = is[rank - 1];
        int width = os[rank - 1];
        if (len == 0 || width > 1 << 20) {
            return false;
        }
        MemorySegment ss = src.segment();
        MemorySegment xs = index.segment();
        MemorySegment ws = out.segment();
        Runs.parallel(index.numel() / len, len, (from, to) -> {
            float[] g = new float[len];
            long[] k = new long[len];
            float[] row = new float[width];
            for (long r = from; r < to; r++) {
                MemorySegment.copy(ss, F32, (src.offset() + r * len) * 4, g, 0, len);
                MemorySegment.copy(xs, ValueLayout.JAVA_LONG, (index.offset() + r * len) * 8, k, 0, len);
                MemorySegment.copy(ws, F32, (out.offset() + r * width) * 4, row, 0, width);
                for (int i = 0; i < len; i++) {
                    long at = k[i];
                    if (at < 0 || at >= width) {
                        throw new IllegalArgumentException("scatterAdd: index " + at + " is out of range for axis " + axis
                                + " of size " + width);
                    }
                    row[(int) at] += g[i];
                }
                MemorySegment.copy(row, 0, ws, F32, (out.offset() + r * width) * 4, width);
            }
            return 0;
        });
        return true;
    }

    /** Positions {@code from .. from+count-1} of dimension {@code dim} of v. */
    private static View slice(View v, int dim, long from, int count) {
        int[] shape = v.shape().clone();
        shape[dim] = count;
        long[] strides = v.layout().strides();
        return new View(v.storage(), v.dtype(), new Layout(shape, strides, v.offset() + from * strides[dim]));
    }

    private static void scatterAddSequential(View src, int axis, View index, View out) {
        MemorySegment ss = src.segment();
        MemorySegment is = index.segment();
        MemorySegment os = out.segment();
        boolean i64 = index.dtype() == DType.I64;
        boolean f64 = out.dtype() == DType.F64;
        int size = out.shape()[axis];
        long step = out.layout().stride(axis);
        var it = new StridedIter(index.shape(), index.layout(), src.layout(), alongIndex(out, axis, index));
        while (it.hasNext()) {
            it.next();
            int n = it.inner();
            long s0 = it.innerStride(0);
            long s1 = it.innerStride(1);
            long s2 = it.innerStride(2);
            if (s0 == 0) {
                long k = checked("scatterAdd", is, i64, it.offset(0), axis, size);
                addRun(f64, ss, it.offset(1), s1, os, it.offset(2) + k * step, s2, n);
                continue;
            }
            for (int i = 0; i < n; i++) {
                long k = checked("scatterAdd", is, i64, it.offset(0) + i * s0, axis, size);
                addRun(f64, ss, it.offset(1) + i * s1, 1, os, it.offset(2) + i * s2 + k * step, 1, 1);
            }
        }
    }

    /** {@code o[oi + i*os] += s[si + i*ss]} for {@code i < n}; SIMD for unit-stride F32. */
    private static void addRun(boolean f64, MemorySegment s, long si, long ss, MemorySegment o, long oi, long os, int n) {
        int i = 0;
        if (!f64 && ss == 1 && os == 1) {
            int lanes = F.length();
            for (int up = n - n % lanes; i < up; i += lanes) {
                FloatVector a = FloatVector.fromMemorySegment(F, o, (oi + i) * 4, NO);
                a.add(FloatVector.fromMemorySegment(F, s, (si + i) * 4, NO)).intoMemorySegment(o, (oi + i) * 4, NO);
            }
        }
        if (f64) {
            for (; i < n; i++) {
                long at = oi + i * os;
                o.setAtIndex(F64, at, o.getAtIndex(F64, at) + s.getAtIndex(F64, si + i * ss));
            }
        } else {
            for (; i < n; i++) {
                long at = oi + i * os;
                o.setAtIndex(F32, at, o.getAtIndex(F32, at) + s.getAtIndex(F32, si + i * ss));
            }
        }
    }
}
