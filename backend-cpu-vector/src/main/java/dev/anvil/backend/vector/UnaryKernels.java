package dev.anvil.backend.vector;

import static dev.anvil.backend.vector.Simd.D;
import static dev.anvil.backend.vector.Simd.F;
import static dev.anvil.backend.vector.Simd.F32;
import static dev.anvil.backend.vector.Simd.F64;
import static dev.anvil.backend.vector.Simd.FH;
import static dev.anvil.backend.vector.Simd.NO;

import dev.anvil.spi.ScalarMath;
import dev.anvil.spi.UnaryOp;
import dev.anvil.spi.View;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Unary elementwise ops. F32 runs with unit strides use SIMD (the transcendental lanewise ops are the JDK's
 * SVML/SLEEF stubs, a few ulp); everything else, and F64, runs typed scalar loops on {@link ScalarMath}.
 */
final class UnaryKernels {
    private static final double INV_SQRT2 = 0.7071067811865476;

    private UnaryKernels() {
    }

    /** Cost of one element relative to an add, so that costly ops split over threads at smaller sizes. */
    static long weight(UnaryOp op) {
        return switch (op) {
            case NEG, ABS, RELU, SQRT, RSQRT -> 1;
            case EXP, LOG, TANH, SIGMOID, SIN, COS -> 4;
            case GELU -> 8;
        };
    }

    static void f32(UnaryOp op, View x, View out) {
        MemorySegment s = x.segment();
        MemorySegment d = out.segment();
        Runs.forEach(out.shape(), weight(op), (off, str, n) -> {
            int i = 0;
            if (str[0] == 1 && str[1] == 1) {
                i = op == UnaryOp.GELU ? geluRun(s, off[0], d, off[1], n) : vectorRun(op, s, off[0], d, off[1], n);
            }
            for (; i < n; i++) {
                float v = s.getAtIndex(F32, off[0] + i * str[0]);
                d.setAtIndex(F32, off[1] + i * str[1], (float) ScalarMath.apply(op, v));
            }
        }, x.layout(), out.layout());
    }

    static void f64(UnaryOp op, View x, View out) {
        MemorySegment s = x.segment();
        MemorySegment d = out.segment();
        Runs.forEach(out.shape(), 2 * weight(op), (off, str, n) -> {
            for (int i = 0; i < n; i++) {
                double v = s.getAtIndex(F64, off[0] + i * str[0]);
                d.setAtIndex(F64, off[1] + i * str[1], ScalarMath.apply(op, v));
            }
        }, x.layout(), out.layout());
    }

    /** Whole vectors of a unit-stride run; returns how many elements it did (the caller finishes the tail). */
    private static int vectorRun(UnaryOp op, MemorySegment s, long si, MemorySegment d, long di, int n) {
        int lanes = F.length();
        int up = n - n % lanes;
        FloatVector one = FloatVector.broadcast(F, 1f);
        for (int i = 0; i < up; i += lanes) {
            FloatVector v = FloatVector.fromMemorySegment(F, s, (si + i) * 4, NO);
            FloatVector r = switch (op) {
                case NEG -> v.neg();
                case EXP -> Simd.exp(v);
                case LOG -> v.lanewise(VectorOperators.LOG);
                case SQRT -> v.sqrt();
                case RSQRT -> one.div(v.sqrt());
                case ABS -> v.abs();
                case TANH -> v.lanewise(VectorOperators.TANH);
                case SIGMOID -> {
                    // e = exp(-|v|) never overflows; sigmoid = 1/(1+e) for v >= 0, e/(1+e) below.
                    FloatVector e = Simd.exp(v.abs().neg());
                    FloatVector p = one.div(one.add(e));
                    yield p.blend(e.mul(p), v.compare(VectorOperators.LT, 0f));
                }
                case RELU -> v.max(0f); // max keeps NaN, as the reference's relu does
                case SIN -> v.lanewise(VectorOperators.SIN);
                case COS -> v.lanewise(VectorOperators.COS);
                case GELU -> throw new AssertionError("gelu has its own loop");
            };
            r.intoMemorySegment(d, (di + i) * 4, NO);
        }
        return up;
    }

    /** GELU on whole half-registers, widened to F64 so erfc's exp(-z^2) keeps its precision. */
    private static int geluRun(MemorySegment s, long si, MemorySegment d, long di, int n) {
        int lanes = FH.length();
        int up = n - n % lanes;
        for (int i = 0; i < up; i += lanes) {
            DoubleVector x = (DoubleVector) FloatVector.fromMemorySegment(FH, s, (si + i) * 4, NO)
                    .convertShape(VectorOperators.F2D, D, 0);
            gelu(x).convertShape(VectorOperators.D2F, FH, 0).intoMemorySegment(d, (di + i) * 4, NO);
        }
        return up;
    }

    /**
     * {@code x/2 * (1 + erf(x/sqrt 2))}, written with erfc so negative x keeps its relative accuracy:
     * {@code x/2 * (2 - erfc(z))} for x >= 0 and {@code x/2 * erfc(-z)} below. erfc is the Chebyshev fit of
     * Numerical Recipes (erfcc), fractional error under 1.2e-7 for every z >= 0.
     */
    static DoubleVector gelu(DoubleVector x) {
        DoubleVector z = x.abs().mul(INV_SQRT2);
        DoubleVector t = DoubleVector.broadcast(D, 1).div(z.mul(0.5).add(1));
        DoubleVector p = t.mul(0.17087277).add(-0.82215223);
        p = p.mul(t).add(1.48851587);
        p = p.mul(t).add(-1.13520398);
        p = p.mul(t).add(0.27886807);
        p = p.mul(t).add(-0.18628806);
        p = p.mul(t).add(0.09678418);
        p = p.mul(t).add(0.37409196);
        p = p.mul(t).add(1.00002368);
        p = p.mul(t).add(-1.26551223);
        DoubleVector erfc = t.mul(p.sub(z.mul(z)).lanewise(VectorOperators.EXP));
        DoubleVector half = x.mul(0.5);
        return half.mul(erfc.neg().add(2)).blend(half.mul(erfc), x.compare(VectorOperators.LT, 0));
    }
}
