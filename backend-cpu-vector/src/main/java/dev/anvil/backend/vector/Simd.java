package dev.anvil.backend.vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector species the kernels use, and small helpers shared by several kernel files.
 *
 * <p>Results must not depend on whether the JIT has compiled a kernel yet: training with a seed is bitwise
 * repeatable, and a run resumed in a fresh JVM must end where the uninterrupted one did. Two Vector API
 * operations break that: {@code reduceLanes(ADD)} on floating point may add the lanes in any order (C2 adds them
 * as a tree, the Java fallback that runs before C2 compiles in sequence), and {@code lanewise(EXP)} is a
 * different approximation compiled (a vector math library) than interpreted ({@code Math.exp} per lane). The
 * kernels on the training path use {@link #sum(FloatVector)}, {@link #sum(DoubleVector)} and
 * {@link #exp(FloatVector)} instead, built from lane extraction and IEEE lanewise arithmetic (FMA included), which
 * every tier computes alike.
 */
final class Simd {
    /** F32 lanes of the widest register the JIT supports (8 on AVX2, 16 on AVX-512). */
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** F64 lanes of the same register. */
    static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** Half a register of F32: as many lanes as {@link #D}, for F32 <-> F64 conversion without a shape change. */
    static final VectorSpecies<Float> FH = VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));
    static final ByteOrder NO = ByteOrder.nativeOrder();
    static final boolean LITTLE = NO == ByteOrder.LITTLE_ENDIAN;

    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE;
    static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;

    private Simd() {
    }

    /** The lanes of {@code v} added in lane order: the same sum whichever tier runs it. */
    static float sum(FloatVector v) {
        float s = v.lane(0);
        for (int i = 1; i < v.length(); i++) {
            s += v.lane(i);
        }
        return s;
    }

    /** The lanes of {@code v} added in lane order: the same sum whichever tier runs it. */
    static double sum(DoubleVector v) {
        double s = v.lane(0);
        for (int i = 1; i < v.length(); i++) {
            s += v.lane(i);
        }
        return s;
    }

    private static final float LOG2E = 1.44269504088896341f;
    /** ln 2 in two parts (Cody-Waite): {@code n * LN2_HI} is exact for the n that occur. */
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding and subtracting it rounds a float of magnitude < 2^22 to an integer (ties to even). */
    private static final float ROUND = 12582912f;

    /**
     * e^x per lane, within 2 ulp of {@code Math.exp} (Cephes' expf: x = n ln 2 + r with |r| <= ln 2 / 2, a degree-6
     * polynomial for e^r, then 2^n in two factors so results down to the subnormal range stay exact-rounded
     * scalings); overflow gives +inf, -inf gives 0, NaN stays NaN. Only IEEE lanewise operations: the same bits
     * in every tier (see the class comment).
     */
    static FloatVector exp(FloatVector x) {
        // [-104, 89]: below, e^x rounds to 0 anyway; above, the result overflows to +inf in the last product
        VectorSpecies<Float> sp = x.species();
        FloatVector c = x.max(-104f).min(89f);
        FloatVector n = c.mul(LOG2E).add(ROUND).sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(sp, -LN2_HI), c);
        r = n.fma(FloatVector.broadcast(sp, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(sp, 1.9875691500e-4f)
                .fma(r, FloatVector.broadcast(sp, 1.3981999507e-3f))
                .fma(r, FloatVector.broadcast(sp, 8.3334519073e-3f))
                .fma(r, FloatVector.broadcast(sp, 4.1665795894e-2f))
                .fma(r, FloatVector.broadcast(sp, 1.6666665459e-1f))
                .fma(r, FloatVector.broadcast(sp, 5.0000001201e-1f));
        FloatVector y = p.fma(r.mul(r), r.add(1f));
        IntVector k = (IntVector) n.convert(VectorOperators.F2I, 0);
        IntVector k1 = k.lanewise(VectorOperators.ASHR, 1);
        IntVector k2 = k.sub(k1);
        FloatVector s1 = k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = k2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return y.mul(s1).mul(s2);
    }

    /** Writes one BOOL byte (0 or 1) per lane of {@code m} at byte {@code at} of {@code s}. */
    static void storeMask(VectorMask<?> m, MemorySegment s, long at) {
        long bits = m.toLong();
        int lanes = m.length();
        int j = 0;
        if (LITTLE) {
            // Spread 8 mask bits into the low bit of 8 bytes and store them as one little-endian long.
            for (; j + 8 <= lanes; j += 8) {
                s.set(ValueLayout.JAVA_LONG_UNALIGNED, at + j, Long.expand(bits >>> j, 0x0101010101010101L));
            }
        }
        for (; j < lanes; j++) {
            s.set(U8, at + j, (byte) ((bits >>> j) & 1));
        }
    }
}
