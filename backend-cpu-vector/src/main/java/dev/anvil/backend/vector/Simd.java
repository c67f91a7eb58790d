package dev.anvil.backend.vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/** The vector species the kernels use, and small helpers shared by several kernel files. */
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
