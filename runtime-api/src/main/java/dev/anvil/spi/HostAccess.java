package dev.anvil.spi;

import dev.anvil.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Reads and writes single elements of any dtype in host memory, by element index. Slow paths only:
 * the reference backend, casts, printing, and tails of typed kernels.
 */
public final class HostAccess {
    private HostAccess() {
    }

    /** Element {@code index} of {@code s} as a double (I64 values beyond 2^53 lose precision). */
    public static double getDouble(MemorySegment s, DType t, long index) {
        return switch (t) {
            case F32 -> s.getAtIndex(ValueLayout.JAVA_FLOAT, index);
            case F64 -> s.getAtIndex(ValueLayout.JAVA_DOUBLE, index);
            case F16 -> Float.float16ToFloat(s.getAtIndex(ValueLayout.JAVA_SHORT, index));
            case BF16 -> bf16ToFloat(s.getAtIndex(ValueLayout.JAVA_SHORT, index));
            case I64 -> s.getAtIndex(ValueLayout.JAVA_LONG, index);
            case I32 -> s.getAtIndex(ValueLayout.JAVA_INT, index);
            case I16 -> s.getAtIndex(ValueLayout.JAVA_SHORT, index);
            case I8 -> s.get(ValueLayout.JAVA_BYTE, index);
            case U8 -> Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, index));
            case BOOL -> s.get(ValueLayout.JAVA_BYTE, index) != 0 ? 1 : 0;
        };
    }

    /** Element {@code index} as a long; floating values are truncated toward zero. */
    public static long getLong(MemorySegment s, DType t, long index) {
        return switch (t) {
            case I64 -> s.getAtIndex(ValueLayout.JAVA_LONG, index);
            case I32 -> s.getAtIndex(ValueLayout.JAVA_INT, index);
            case I16 -> s.getAtIndex(ValueLayout.JAVA_SHORT, index);
            case I8 -> s.get(ValueLayout.JAVA_BYTE, index);
            case U8 -> Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, index));
            case BOOL -> s.get(ValueLayout.JAVA_BYTE, index) != 0 ? 1 : 0;
            default -> (long) getDouble(s, t, index);
        };
    }

    /** Stores {@code v} converted to {@code t} (truncation toward zero for integers, v != 0 for BOOL). */
    public static void putDouble(MemorySegment s, DType t, long index, double v) {
        switch (t) {
            case F32 -> s.setAtIndex(ValueLayout.JAVA_FLOAT, index, (float) v);
            case F64 -> s.setAtIndex(ValueLayout.JAVA_DOUBLE, index, v);
            case F16 -> s.setAtIndex(ValueLayout.JAVA_SHORT, index, Float.floatToFloat16((float) v));
            case BF16 -> s.setAtIndex(ValueLayout.JAVA_SHORT, index, floatToBf16((float) v));
            case BOOL -> s.set(ValueLayout.JAVA_BYTE, index, (byte) (v != 0 ? 1 : 0));
            default -> putLong(s, t, index, (long) v);
        }
    }

    /** Stores integer {@code v} converted to {@code t} (wrapping like a C cast for narrow types). */
    public static void putLong(MemorySegment s, DType t, long index, long v) {
        switch (t) {
            case I64 -> s.setAtIndex(ValueLayout.JAVA_LONG, index, v);
            case I32 -> s.setAtIndex(ValueLayout.JAVA_INT, index, (int) v);
            case I16 -> s.setAtIndex(ValueLayout.JAVA_SHORT, index, (short) v);
            case I8, U8 -> s.set(ValueLayout.JAVA_BYTE, index, (byte) v);
            case BOOL -> s.set(ValueLayout.JAVA_BYTE, index, (byte) (v != 0 ? 1 : 0));
            default -> putDouble(s, t, index, v);
        }
    }

    /** bfloat16 bits to float: the high half of an F32. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** float to bfloat16 bits, rounding to nearest even; NaN stays NaN. */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
