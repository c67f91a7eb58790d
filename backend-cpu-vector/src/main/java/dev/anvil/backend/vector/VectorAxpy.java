package dev.anvil.backend.vector;

import static dev.anvil.backend.vector.Simd.D;
import static dev.anvil.backend.vector.Simd.F;
import static dev.anvil.backend.vector.Simd.F32;
import static dev.anvil.backend.vector.Simd.F64;
import static dev.anvil.backend.vector.Simd.NO;

import dev.anvil.DType;
import dev.anvil.spi.Axpy;
import dev.anvil.spi.View;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;

/** {@code y += alpha * x} in one pass with fused multiply-adds (one rounding instead of the composed two). */
final class VectorAxpy implements Axpy {

    @Override
    public void axpy(double alpha, View x, View y) {
        if (x.dtype() != y.dtype() || (x.dtype() != DType.F32 && x.dtype() != DType.F64) || x.numel() != y.numel()
                || !x.isContiguous() || !y.isContiguous()) {
            throw new IllegalArgumentException("axpy: needs contiguous F32 or F64 operands of one dtype and size, got "
                    + x.dtype() + " " + x.layout() + " and " + y.dtype() + " " + y.layout());
        }
        MemorySegment xs = x.segment();
        MemorySegment ys = y.segment();
        long xo = x.offset();
        long yo = y.offset();
        boolean f64 = x.dtype() == DType.F64;
        Runs.parallel(x.numel(), 1, (from, to) -> {
            int n = (int) (to - from);
            if (f64) {
                f64(alpha, xs, xo + from, ys, yo + from, n);
            } else {
                f32((float) alpha, xs, xo + from, ys, yo + from, n);
            }
            return 0;
        });
    }

    private static void f32(float alpha, MemorySegment x, long xi, MemorySegment y, long yi, int n) {
        int lanes = F.length();
        int i = 0;
        FloatVector a = FloatVector.broadcast(F, alpha);
        for (int up = n - n % lanes; i < up; i += lanes) {
            FloatVector xv = FloatVector.fromMemorySegment(F, x, (xi + i) * 4, NO);
            FloatVector yv = FloatVector.fromMemorySegment(F, y, (yi + i) * 4, NO);
            xv.fma(a, yv).intoMemorySegment(y, (yi + i) * 4, NO);
        }
        for (; i < n; i++) {
            y.setAtIndex(F32, yi + i, Math.fma(x.getAtIndex(F32, xi + i), alpha, y.getAtIndex(F32, yi + i)));
        }
    }

    private static void f64(double alpha, MemorySegment x, long xi, MemorySegment y, long yi, int n) {
        int lanes = D.length();
        int i = 0;
        DoubleVector a = DoubleVector.broadcast(D, alpha);
        for (int up = n - n % lanes; i < up; i += lanes) {
            DoubleVector xv = DoubleVector.fromMemorySegment(D, x, (xi + i) * 8, NO);
            DoubleVector yv = DoubleVector.fromMemorySegment(D, y, (yi + i) * 8, NO);
            xv.fma(a, yv).intoMemorySegment(y, (yi + i) * 8, NO);
        }
        for (; i < n; i++) {
            y.setAtIndex(F64, yi + i, Math.fma(x.getAtIndex(F64, xi + i), alpha, y.getAtIndex(F64, yi + i)));
        }
    }
}
