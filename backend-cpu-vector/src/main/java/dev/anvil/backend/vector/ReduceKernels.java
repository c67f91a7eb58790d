package dev.anvil.backend.vector;

import static dev.anvil.backend.vector.Simd.D;
import static dev.anvil.backend.vector.Simd.F;
import static dev.anvil.backend.vector.Simd.F32;
import static dev.anvil.backend.vector.Simd.F64;
import static dev.anvil.backend.vector.Simd.FH;
import static dev.anvil.backend.vector.Simd.NO;

import dev.anvil.spi.ComputePool;
import dev.anvil.spi.Layout;
import dev.anvil.spi.ReduceOp;
import dev.anvil.spi.StridedIter;
import dev.anvil.spi.View;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * SUM, MAX and MIN over any axes, and arg-max/min, for F32 and F64.
 *
 * <p>Two shapes of work: when the innermost run of x is kept (column sums such as a bias gradient
 * {@code [n, c] -> [1, c]}, or any reduction over leading axes), whole input rows are added lane-wise into
 * per-output accumulators; otherwise each output reduces its own runs of x (row sums, softmax-style rows,
 * full reductions). F32 sums accumulate in F64 lanes (widened on load), so a sum of 16M values keeps
 * F32 accuracy even when positive and negative terms cancel; F64 sums carry each addition's rounding error
 * (cascaded summation). MAX and MIN propagate NaN.
 */
final class ReduceKernels {
    private ReduceKernels() {
    }

    /** {@code out} must be contiguous (the API allocates it so); x may have any layout. */
    static void reduce(ReduceOp op, View x, int[] axes, View out) {
        boolean f64 = x.dtype() == dev.anvil.DType.F64;
        int[] xs = x.shape();
        long[] back = out.layout().strides().clone();
        for (int a : axes) {
            back[a] = 0;
        }
        Layout stretched = new Layout(xs, back, out.offset());
        StridedIter it = new StridedIter(xs, x.layout(), stretched);
        if (it.inner() > 1 && it.innerStride(0) == 1 && it.innerStride(1) == 1) {
            columns(op, f64, x, out, stretched, it);
        } else {
            rows(op, f64, x, axes, out);
        }
    }

    // ---------------------------------------------------------------- rows: each output reduces its own runs

    private static void rows(ReduceOp op, boolean f64, View x, int[] axes, View out) {
        int[] xs = x.shape();
        int[] redShape = new int[xs.length];
        java.util.Arrays.fill(redShape, 1);
        for (int a : axes) {
            redShape[a] = xs[a];
        }
        // The runs of one output's inputs, relative to its first element: the same for every output.
        StridedIter ri = new StridedIter(redShape, new Layout(redShape, x.layout().strides(), 0));
        int runs = Math.toIntExact(ri.runs());
        int len = ri.inner();
        long step = ri.innerStride(0);
        long[] runOff = new long[runs];
        for (int r = 0; ri.hasNext(); r++) {
            ri.next();
            runOff[r] = ri.offset(0);
        }
        MemorySegment s = x.segment();
        MemorySegment d = out.segment();
        Layout xKept = new Layout(out.shape(), x.layout().strides(), x.offset());
        long perOut = (long) runs * len;
        if (out.numel() < ComputePool.threads() && Runs.pieces(perOut) > 1) {
            // Few outputs with much work each (a full reduction): split every output's work into pieces.
            StridedIter ki = new StridedIter(out.shape(), xKept, out.layout());
            while (ki.hasNext()) {
                ki.next();
                for (int i = 0; i < ki.inner(); i++) {
                    double v = split(op, f64, s, ki.offset(0) + i * ki.innerStride(0), runOff, len, step);
                    store(d, f64, ki.offset(1) + i * ki.innerStride(1), v);
                }
            }
            return;
        }
        Runs.forEach(out.shape(), perOut, (off, str, n) -> {
            for (int i = 0; i < n; i++) {
                long base = off[0] + i * str[0];
                double acc = identity(op);
                for (long ro : runOff) {
                    acc = combine(op, acc, run(op, f64, s, base + ro, len, step));
                }
                store(d, f64, off[1] + i * str[1], acc);
            }
        }, xKept, out.layout());
    }

    /** One output's reduction cut into pieces (by runs, or within each run), partials combined in order. */
    private static double split(ReduceOp op, boolean f64, MemorySegment s, long base, long[] runOff, int len,
                                long step) {
        int runs = runOff.length;
        int pieces = Runs.pieces((long) runs * len);
        double[] part = new double[pieces];
        java.util.Arrays.fill(part, identity(op));
        if (runs >= pieces) {
            Runs.eachPiece(pieces, p -> {
                double acc = identity(op);
                for (long r = (long) runs * p / pieces, end = (long) runs * (p + 1) / pieces; r < end; r++) {
                    acc = combine(op, acc, run(op, f64, s, base + runOff[(int) r], len, step));
                }
                part[p] = acc;
            });
        } else {
            for (long ro : runOff) {
                Runs.eachPiece(pieces, p -> {
                    long from = (long) len * p / pieces;
                    long to = (long) len * (p + 1) / pieces;
                    part[p] = combine(op, part[p], run(op, f64, s, base + ro + from * step, (int) (to - from), step));
                });
            }
        }
        double acc = identity(op);
        for (double v : part) {
            acc = combine(op, acc, v);
        }
        return acc;
    }

    static double identity(ReduceOp op) {
        return switch (op) {
            case SUM -> 0;
            case MAX -> Double.NEGATIVE_INFINITY;
            case MIN -> Double.POSITIVE_INFINITY;
        };
    }

    static double combine(ReduceOp op, double a, double b) {
        return switch (op) {
            case SUM -> a + b;
            case MAX -> Math.max(a, b); // Math.max and min return NaN when either side is NaN
            case MIN -> Math.min(a, b);
        };
    }

    private static void store(MemorySegment d, boolean f64, long at, double v) {
        if (f64) {
            d.setAtIndex(F64, at, v);
        } else {
            d.setAtIndex(F32, at, (float) v);
        }
    }

    /** Reduces {@code n} elements from {@code at} stepping {@code step}; SIMD when {@code step == 1}. */
    static double run(ReduceOp op, boolean f64, MemorySegment s, long at, int n, long step) {
        if (step == 1) {
            if (op == ReduceOp.SUM) {
                return f64 ? sumF64(s, at, n) : sumF32(s, at, n);
            }
            return f64 ? extremumF64(s, at, n, op == ReduceOp.MAX) : extremumF32(s, at, n, op == ReduceOp.MAX);
        }
        double acc = identity(op);
        for (int i = 0; i < n; i++) {
            double v = f64 ? s.getAtIndex(F64, at + i * step) : s.getAtIndex(F32, at + i * step);
            acc = combine(op, acc, v);
        }
        return acc;
    }

    /**
     * F32 summed in F64 lanes: each half-register of floats is widened and added into four independent
     * double accumulators. Widening costs less than a compensated F32 sum (two instructions per eight
     * floats against seven) and its error, about n x 1e-16, stays far below F32 resolution for any n.
     */
    static double sumF32(MemorySegment s, long at, int n) {
        int lanes = FH.length();
        DoubleVector a0 = DoubleVector.zero(D);
        DoubleVector a1 = a0;
        DoubleVector a2 = a0;
        DoubleVector a3 = a0;
        int i = 0;
        for (int up = n - n % (4 * lanes); i < up; i += 4 * lanes) {
            long b = (at + i) * 4;
            a0 = a0.add(widen(s, b));
            a1 = a1.add(widen(s, b + 4L * lanes));
            a2 = a2.add(widen(s, b + 8L * lanes));
            a3 = a3.add(widen(s, b + 12L * lanes));
        }
        for (int up = n - n % lanes; i < up; i += lanes) {
            a0 = a0.add(widen(s, (at + i) * 4));
        }
        double total = Simd.sum(a0.add(a1).add(a2.add(a3)));
        for (; i < n; i++) {
            total += s.getAtIndex(F32, at + i);
        }
        return total;
    }

    /** Half a register of floats at byte {@code b}, widened to a full register of doubles. */
    private static DoubleVector widen(MemorySegment s, long b) {
        return (DoubleVector) FloatVector.fromMemorySegment(FH, s, b, NO).convertShape(VectorOperators.F2D, D, 0);
    }

    /** The exact rounding error of {@code t = a + b} (Knuth's TwoSum, no branch on magnitudes). */
    static DoubleVector twoSumError(DoubleVector a, DoubleVector b, DoubleVector t) {
        DoubleVector z = t.sub(a);
        return a.sub(t.sub(z)).add(b.sub(z));
    }

    /**
     * F64 summed with each addition's exact rounding error (TwoSum) kept in a second accumulator
     * (cascaded summation, Ogita-Rump-Oishi "Sum2"), in two independent vector pairs.
     */
    static double sumF64(MemorySegment s, long at, int n) {
        int lanes = D.length();
        DoubleVector s0 = DoubleVector.zero(D);
        DoubleVector s1 = s0;
        DoubleVector c0 = s0;
        DoubleVector c1 = s0;
        int i = 0;
        for (int up = n - n % (2 * lanes); i < up; i += 2 * lanes) {
            DoubleVector x0 = DoubleVector.fromMemorySegment(D, s, (at + i) * 8, NO);
            DoubleVector x1 = DoubleVector.fromMemorySegment(D, s, (at + i + lanes) * 8, NO);
            DoubleVector t0 = s0.add(x0);
            DoubleVector t1 = s1.add(x1);
            c0 = c0.add(twoSumError(s0, x0, t0));
            c1 = c1.add(twoSumError(s1, x1, t1));
            s0 = t0;
            s1 = t1;
        }
        double total = Simd.sum(s0.add(s1)) + Simd.sum(c0.add(c1));
        for (; i < n; i++) {
            total += s.getAtIndex(F64, at + i);
        }
        // The error terms of an infinite sum are NaN (inf - inf); redo such rare runs plainly.
        return Double.isFinite(total) ? total : plainSum(s, at, n);
    }

    private static double plainSum(MemorySegment s, long at, int n) {
        double total = 0;
        for (int i = 0; i < n; i++) {
            total += s.getAtIndex(F64, at + i);
        }
        return total;
    }

    static double extremumF32(MemorySegment s, long at, int n, boolean max) {
        int lanes = F.length();
        float init = max ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
        FloatVector m0 = FloatVector.broadcast(F, init);
        FloatVector m1 = m0;
        int i = 0;
        for (int up = n - n % (2 * lanes); i < up; i += 2 * lanes) {
            FloatVector v0 = FloatVector.fromMemorySegment(F, s, (at + i) * 4, NO);
            FloatVector v1 = FloatVector.fromMemorySegment(F, s, (at + i + lanes) * 4, NO);
            m0 = max ? m0.max(v0) : m0.min(v0); // lane-wise max/min keep NaN
            m1 = max ? m1.max(v1) : m1.min(v1);
        }
        FloatVector m = max ? m0.max(m1) : m0.min(m1);
        if (m.test(VectorOperators.IS_NAN).anyTrue()) {
            return Double.NaN;
        }
        double acc = m.reduceLanes(max ? VectorOperators.MAX : VectorOperators.MIN);
        for (; i < n; i++) {
            float v = s.getAtIndex(F32, at + i);
            acc = max ? Math.max(acc, v) : Math.min(acc, v);
        }
        return acc;
    }

    static double extremumF64(MemorySegment s, long at, int n, boolean max) {
        int lanes = D.length();
        DoubleVector m = DoubleVector.broadcast(D, max ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY);
        int i = 0;
        for (int up = n - n % lanes; i < up; i += lanes) {
            DoubleVector v = DoubleVector.fromMemorySegment(D, s, (at + i) * 8, NO);
            m = max ? m.max(v) : m.min(v);
        }
        if (m.test(VectorOperators.IS_NAN).anyTrue()) {
            return Double.NaN;
        }
        double acc = m.reduceLanes(max ? VectorOperators.MAX : VectorOperators.MIN);
        for (; i < n; i++) {
            double v = s.getAtIndex(F64, at + i);
            acc = max ? Math.max(acc, v) : Math.min(acc, v);
        }
        return acc;
    }

    // ---------------------------------------------------------------- columns: rows of x added into outputs

    /** Per-output accumulators of one piece of work: F64 for every SUM, the input's type for MAX and MIN. */
    private static final class Acc {
        final ReduceOp op;
        final boolean f64;
        final float[] fs;
        final double[] ds;

        Acc(ReduceOp op, boolean f64, int size) {
            this.op = op;
            this.f64 = f64;
            boolean wide = f64 || op == ReduceOp.SUM;
            fs = wide ? null : new float[size];
            ds = wide ? new double[size] : null;
            if (op != ReduceOp.SUM) {
                if (wide) {
                    java.util.Arrays.fill(ds, identity(op));
                } else {
                    java.util.Arrays.fill(fs, (float) identity(op));
                }
            }
        }

        double get(int k) {
            return ds != null ? ds[k] : fs[k];
        }

        /** Folds {@code n} contiguous elements of x at {@code xi} into accumulators {@code ai..ai+n}. */
        void add(MemorySegment s, long xi, int ai, int n) {
            // One small loop per case, so each inlines whole and its vector operations stay intrinsics.
            if (op == ReduceOp.SUM) {
                if (f64) {
                    sumF64(s, xi, ds, ai, n);
                } else {
                    sumF32(s, xi, ds, ai, n);
                }
            } else if (f64) {
                extremumF64(s, xi, ds, ai, n, op == ReduceOp.MAX);
            } else {
                extremumF32(s, xi, fs, ai, n, op == ReduceOp.MAX);
            }
        }
    }

    /** {@code acc[ai + i] += x[xi + i]}, F32 widened to F64. */
    private static void sumF32(MemorySegment s, long xi, double[] acc, int ai, int n) {
        int lanes = FH.length();
        int i = 0;
        for (int up = n - n % lanes; i < up; i += lanes) {
            DoubleVector.fromArray(D, acc, ai + i).add(widen(s, (xi + i) * 4)).intoArray(acc, ai + i);
        }
        for (; i < n; i++) {
            acc[ai + i] += s.getAtIndex(F32, xi + i);
        }
    }

    private static void sumF64(MemorySegment s, long xi, double[] acc, int ai, int n) {
        int lanes = D.length();
        int i = 0;
        for (int up = n - n % lanes; i < up; i += lanes) {
            DoubleVector x = DoubleVector.fromMemorySegment(D, s, (xi + i) * 8, NO);
            DoubleVector.fromArray(D, acc, ai + i).add(x).intoArray(acc, ai + i);
        }
        for (; i < n; i++) {
            acc[ai + i] += s.getAtIndex(F64, xi + i);
        }
    }

    /** {@code acc[ai + i] = max(acc[ai + i], x[xi + i])} (or min); lane-wise max and min keep NaN. */
    private static void extremumF32(MemorySegment s, long xi, float[] acc, int ai, int n, boolean max) {
        int lanes = F.length();
        int i = 0;
        for (int up = n - n % lanes; i < up; i += lanes) {
            FloatVector x = FloatVector.fromMemorySegment(F, s, (xi + i) * 4, NO);
            FloatVector a = FloatVector.fromArray(F, acc, ai + i);
            (max ? a.max(x) : a.min(x)).intoArray(acc, ai + i);
        }
        for (; i < n; i++) {
            float x = s.getAtIndex(F32, xi + i);
            acc[ai + i] = max ? Math.max(acc[ai + i], x) : Math.min(acc[ai + i], x);
        }
    }

    private static void extremumF64(MemorySegment s, long xi, double[] acc, int ai, int n, boolean max) {
        int lanes = D.length();
        int i = 0;
        for (int up = n - n % lanes; i < up; i += lanes) {
            DoubleVector x = DoubleVector.fromMemorySegment(D, s, (xi + i) * 8, NO);
            DoubleVector a = DoubleVector.fromArray(D, acc, ai + i);
            (max ? a.max(x) : a.min(x)).intoArray(acc, ai + i);
        }
        for (; i < n; i++) {
            double x = s.getAtIndex(F64, xi + i);
            acc[ai + i] = max ? Math.max(acc[ai + i], x) : Math.min(acc[ai + i], x);
        }
    }

    private static void columns(ReduceOp op, boolean f64, View x, View out, Layout stretched, StridedIter it) {
        int len = it.inner();
        long runs = it.runs();
        int outN = Math.toIntExact(out.numel());
        long base = out.offset();
        int[] xs = x.shape();
        MemorySegment s = x.segment();
        int pieces = Runs.pieces(x.numel());
        Acc[] acc;
        if (pieces > 1 && runs < 4L * ComputePool.threads()) {
            // Few long rows: every thread walks all rows but owns a slice of the columns.
            Acc shared = new Acc(op, f64, outN);
            acc = new Acc[] {shared};
            Runs.eachPiece(pieces, p -> {
                int from = (int) ((long) len * p / pieces);
                int to = (int) ((long) len * (p + 1) / pieces);
                StridedIter own = new StridedIter(xs, x.layout(), stretched);
                while (own.hasNext()) {
                    own.next();
                    shared.add(s, own.offset(0) + from, (int) (own.offset(1) - base) + from, to - from);
                }
            });
        } else {
            // Many rows: each piece folds its own rows into private accumulators, combined below.
            acc = new Acc[pieces];
            Runs.eachPiece(pieces, p -> {
                Acc mine = new Acc(op, f64, outN);
                long from = runs * p / pieces;
                long to = runs * (p + 1) / pieces;
                StridedIter own = new StridedIter(xs, x.layout(), stretched);
                if (from > 0) {
                    own.seek(from);
                } else {
                    own.next();
                }
                for (long r = from; r < to; r++) {
                    if (r > from) {
                        own.next();
                    }
                    mine.add(s, own.offset(0), (int) (own.offset(1) - base), len);
                }
                acc[p] = mine;
            });
        }
        MemorySegment d = out.segment();
        for (int k = 0; k < outN; k++) {
            double v = identity(op);
            for (Acc a : acc) {
                v = combine(op, v, a.get(k));
            }
            store(d, f64, base + k, v);
        }
    }

    // ---------------------------------------------------------------- arg-max / arg-min

    /** Index of the first max (min) along {@code axis}; the first NaN wins, as in the reference and NumPy. */
    static void arg(boolean max, View x, int axis, View out) {
        boolean f64 = x.dtype() == dev.anvil.DType.F64;
        MemorySegment s = x.segment();
        MemorySegment d = out.segment();
        int len = x.shape()[axis];
        long step = x.layout().stride(axis);
        int[] outer = x.shape().clone();
        outer[axis] = 1;
        Layout xOuter = new Layout(outer, x.layout().strides(), x.offset());
        Runs.forEach(outer, len, (off, str, n) -> {
            for (int i = 0; i < n; i++) {
                long xi = off[0] + i * str[0];
                long best = !f64 && step == 1 && len > 1 ? argF32(s, xi, len, max) : argScalar(s, f64, xi, len, step, max);
                d.setAtIndex(ValueLayout.JAVA_LONG, off[1] + i * str[1], best);
            }
        }, xOuter, out.layout());
    }

    private static long argScalar(MemorySegment s, boolean f64, long at, int len, long step, boolean max) {
        long best = 0;
        double bestV = f64 ? s.getAtIndex(F64, at) : s.getAtIndex(F32, at);
        for (int j = 1; j < len && !Double.isNaN(bestV); j++) {
            double v = f64 ? s.getAtIndex(F64, at + j * step) : s.getAtIndex(F32, at + j * step);
            if (Double.isNaN(v) || (max ? v > bestV : v < bestV)) {
                best = j;
                bestV = v;
            }
        }
        return best;
    }

    /** SIMD: find the extremum, then the first lane equal to it (or the first NaN). */
    private static long argF32(MemorySegment s, long at, int len, boolean max) {
        double m = extremumF32(s, at, len, max);
        if (Double.isNaN(m)) {
            for (int j = 0; j < len; j++) {
                if (Float.isNaN(s.getAtIndex(F32, at + j))) {
                    return j;
                }
            }
        }
        float target = (float) m;
        int lanes = F.length();
        int j = 0;
        for (int up = len - len % lanes; j < up; j += lanes) {
            FloatVector v = FloatVector.fromMemorySegment(F, s, (at + j) * 4, NO);
            int first = v.compare(VectorOperators.EQ, target).firstTrue();
            if (first < lanes) {
                return j + first;
            }
        }
        for (; j < len; j++) {
            if (s.getAtIndex(F32, at + j) == target) {
                return j;
            }
        }
        throw new AssertionError("extremum " + target + " not found in its row");
    }
}
