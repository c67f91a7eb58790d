package dev.anvil.backend.vector;

import static dev.anvil.backend.vector.Simd.D;
import static dev.anvil.backend.vector.Simd.F;
import static dev.anvil.backend.vector.Simd.F32;
import static dev.anvil.backend.vector.Simd.F64;
import static dev.anvil.backend.vector.Simd.NO;

import dev.anvil.spi.View;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Softmax and log-softmax over the last axis of contiguous rows: row max (NaN-propagating), then
 * {@code exp(x - max)} summed with Kahan compensation, then a scale (softmax) or a shift (log-softmax).
 * Subtracting the max keeps rows such as {@code [1e4, 0, -1e4]} finite. Safe when out is x (in place):
 * every element of x is read before the same element of out is written, and never read again after.
 */
final class SoftmaxKernels {
    private SoftmaxKernels() {
    }

    static void softmax(View x, View out, boolean log) {
        boolean f64 = x.dtype() == dev.anvil.DType.F64;
        int[] shape = x.shape();
        int cols = shape.length == 0 ? 1 : shape[shape.length - 1];
        long rows = cols == 0 ? 0 : x.numel() / cols;
        MemorySegment s = x.segment();
        MemorySegment d = out.segment();
        long xo = x.offset();
        long oo = out.offset();
        Runs.parallel(rows, 6L * cols, (from, to) -> { // three passes, one exp per element
            for (long r = from; r < to; r++) {
                if (f64) {
                    rowF64(s, xo + r * cols, d, oo + r * cols, cols, log);
                } else {
                    rowF32(s, xo + r * cols, d, oo + r * cols, cols, log);
                }
            }
            return 0;
        });
    }

    private static void rowF32(MemorySegment s, long xi, MemorySegment d, long oi, int n, boolean log) {
        double mx = ReduceKernels.extremumF32(s, xi, n, true);
        if (mx == Double.NEGATIVE_INFINITY) {
            mx = 0; // a row of -inf: softmax 0/0 = NaN, log-softmax -inf - log(0) = NaN, as the reference
        }
        float m = (float) mx;
        int lanes = F.length();
        int up = n - n % lanes;
        FloatVector mv = FloatVector.broadcast(F, m);
        FloatVector sum = FloatVector.zero(F);
        FloatVector comp = sum;
        for (int i = 0; i < up; i += lanes) {
            FloatVector e = Simd.exp(FloatVector.fromMemorySegment(F, s, (xi + i) * 4, NO).sub(mv));
            if (!log) {
                e.intoMemorySegment(d, (oi + i) * 4, NO);
            }
            FloatVector y = e.sub(comp);
            FloatVector t = sum.add(y);
            comp = t.sub(sum).sub(y);
            sum = t;
        }
        double total = Simd.sum(sum) - (double) Simd.sum(comp);
        for (int i = up; i < n; i++) {
            float e = (float) Math.exp(s.getAtIndex(F32, xi + i) - m);
            if (!log) {
                d.setAtIndex(F32, oi + i, e);
            }
            total += e;
        }
        if (log) {
            float ls = (float) Math.log(total);
            FloatVector lv = FloatVector.broadcast(F, ls);
            for (int i = 0; i < up; i += lanes) {
                FloatVector.fromMemorySegment(F, s, (xi + i) * 4, NO).sub(mv).sub(lv).intoMemorySegment(d, (oi + i) * 4, NO);
            }
            for (int i = up; i < n; i++) {
                d.setAtIndex(F32, oi + i, (s.getAtIndex(F32, xi + i) - m) - ls);
            }
        } else {
            float inv = (float) (1 / total);
            for (int i = 0; i < up; i += lanes) {
                FloatVector.fromMemorySegment(F, d, (oi + i) * 4, NO).mul(inv).intoMemorySegment(d, (oi + i) * 4, NO);
            }
            for (int i = up; i < n; i++) {
                d.setAtIndex(F32, oi + i, d.getAtIndex(F32, oi + i) * inv);
            }
        }
    }

    private static void rowF64(MemorySegment s, long xi, MemorySegment d, long oi, int n, boolean log) {
        double m = ReduceKernels.extremumF64(s, xi, n, true);
        if (m == Double.NEGATIVE_INFINITY) {
            m = 0;
        }
        int lanes = D.length();
        int up = n - n % lanes;
        DoubleVector mv = DoubleVector.broadcast(D, m);
        DoubleVector sum = DoubleVector.zero(D);
        for (int i = 0; i < up; i += lanes) {
            DoubleVector e = DoubleVector.fromMemorySegment(D, s, (xi + i) * 8, NO).sub(mv).lanewise(VectorOperators.EXP);
            if (!log) {
                e.intoMemorySegment(d, (oi + i) * 8, NO);
            }
            sum = sum.add(e);
        }
        double total = Simd.sum(sum);
        for (int i = up; i < n; i++) {
            double e = Math.exp(s.getAtIndex(F64, xi + i) - m);
            if (!log) {
                d.setAtIndex(F64, oi + i, e);
            }
            total += e;
        }
        if (log) {
            double ls = Math.log(total);
            for (int i = 0; i < up; i += lanes) {
                DoubleVector.fromMemorySegment(D, s, (xi + i) * 8, NO).sub(mv).sub(ls).intoMemorySegment(d, (oi + i) * 8, NO);
            }
            for (int i = up; i < n; i++) {
                d.setAtIndex(F64, oi + i, (s.getAtIndex(F64, xi + i) - m) - ls);
            }
        } else {
            for (int i = 0; i < up; i += lanes) {
                DoubleVector.fromMemorySegment(D, d, (oi + i) * 8, NO).div(total).intoMemorySegment(d, (oi + i) * 8, NO);
            }
            for (int i = up; i < n; i++) {
                d.setAtIndex(F64, oi + i, d.getAtIndex(F64, oi + i) / total);
            }
        }
    }
}
