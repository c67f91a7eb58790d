package dev.anvil.backend.vector;

import static dev.anvil.backend.vector.Simd.D;
import static dev.anvil.backend.vector.Simd.F;
import static dev.anvil.backend.vector.Simd.F32;
import static dev.anvil.backend.vector.Simd.F64;
import static dev.anvil.backend.vector.Simd.NO;

import dev.anvil.DType;
import dev.anvil.spi.ReluBackward;
import dev.anvil.spi.View;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** {@code out = x > 0 ? grad : 0} a vector at a time: one read of x and grad, one write. */
final class VectorReluBackward implements ReluBackward {

    @Override
    public void reluBackward(View x, View grad, View out) {
        DType t = x.dtype();
        if ((t != DType.F32 && t != DType.F64) || grad.dtype() != t || out.dtype() != t || x.numel() != grad.numel()
                || x.numel() != out.numel() || !x.isContiguous() || !grad.isContiguous() || !out.isContiguous()) {
            throw new IllegalArgumentException("reluBackward: needs contiguous F32 or F64 operands of one dtype and size, got "
                    + t + " " + x.layout() + ", " + grad.dtype() + " " + grad.layout() + " and " + out.dtype() + " "
                    + out.layout());
        }
        MemorySegment xs = x.segment();
        MemorySegment gs = grad.segment();
        MemorySegment os = out.segment();
        long xo = x.offset();
        long go = grad.offset();
        long oo = out.offset();
        boolean f64 = t == DType.F64;
        Runs.parallel(x.numel(), 1, (from, to) -> {
            int n = (int) (to - from);
            if (f64) {
                f64(xs, xo + from, gs, go + from, os, oo + from, n);
            } else {
                f32(xs, xo + from, gs, go + from, os, oo + from, n);
            }
            return 0;
        });
    }

    private static void f32(MemorySegment x, long xi, MemorySegment g, long gi, MemorySegment o, long oi, int n) {
        int lanes = F.length();
        int i = 0;
        FloatVector zero = FloatVector.zero(F);
        for (int up = n - n % lanes; i < up; i += lanes) {
            FloatVector xv = FloatVector.fromMemorySegment(F, x, (xi + i) * 4, NO);
            FloatVector gv = FloatVector.fromMemorySegment(F, g, (gi + i) * 4, NO);
            zero.blend(gv, xv.compare(VectorOperators.GT, 0f)).intoMemorySegment(o, (oi + i) * 4, NO);
        }
        for (; i < n; i++) {
            o.setAtIndex(F32, oi + i, x.getAtIndex(F32, xi + i) > 0 ? g.getAtIndex(F32, gi + i) : 0f);
        }
    }

    private static void f64(MemorySegment x, long xi, MemorySegment g, long gi, MemorySegment o, long oi, int n) {
        int lanes = D.length();
        int i = 0;
        DoubleVector zero = DoubleVector.zero(D);
        for (int up = n - n % lanes; i < up; i += lanes) {
            DoubleVector xv = DoubleVector.fromMemorySegment(D, x, (xi + i) * 8, NO);
            DoubleVector gv = DoubleVector.fromMemorySegment(D, g, (gi + i) * 8, NO);
            zero.blend(gv, xv.compare(VectorOperators.GT, 0d)).intoMemorySegment(o, (oi + i) * 8, NO);
        }
        for (; i < n; i++) {
            o.setAtIndex(F64, oi + i, x.getAtIndex(F64, xi + i) > 0 ? g.getAtIndex(F64, gi + i) : 0d);
        }
    }
}
