package dev.anvil;

/**
 * Element types. {@link #F32} is the compute type; {@link #F16} and {@link #BF16} are storage types that
 * ops convert to F32 before computing (until a backend computes in them).
 *
 * <pre>{@code
 * Tensor labels = Tensor.fromArray(new long[] {3, 1, 4}, 3);   // I64
 * Tensor x = labels.cast(DType.F32);
 * }</pre>
 */
public enum DType {
    F32(4, true, "float32"),
    F64(8, true, "float64"),
    F16(2, true, "float16"),
    BF16(2, true, "bfloat16"),
    I64(8, false, "int64"),
    I32(4, false, "int32"),
    I16(2, false, "int16"),
    I8(1, false, "int8"),
    U8(1, false, "uint8"),
    BOOL(1, false, "bool");

    private final int byteSize;
    private final boolean floating;
    private final String numpyName;

    DType(int byteSize, boolean floating, String numpyName) {
        this.byteSize = byteSize;
        this.floating = floating;
        this.numpyName = numpyName;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** True for F32, F64, F16 and BF16. */
    public boolean isFloating() {
        return floating;
    }

    /** True for the half-precision storage types that ops widen to F32 before computing. */
    public boolean isHalf() {
        return this == F16 || this == BF16;
    }

    /** The NumPy name of this type ({@code float32}, {@code int64}, ...), as printed by {@code toString()} of a tensor. */
    public String numpyName() {
        return numpyName;
    }

    /**
     * The type both operands are converted to before a binary op, following PyTorch's promotion of
     * tensor operands: floating beats integral, wider beats narrower; half types compute in F32.
     */
    public static DType promote(DType a, DType b) {
        if (a == b) {
            return a.isHalf() ? F32 : a;
        }
        if (a.floating || b.floating) {
            if (a == F64 || b == F64) {
                return F64;
            }
            return F32;
        }
        if (a == BOOL) {
            return b;
        }
        if (b == BOOL) {
            return a;
        }
        if ((a == U8 && b == I8) || (a == I8 && b == U8)) {
            return I16;
        }
        return a.byteSize >= b.byteSize ? a : b;
    }

    /** The type float-only ops (exp, log, softmax, mean, ...) compute in for a tensor of this type. */
    public DType floatingCompute() {
        return this == F64 ? F64 : F32;
    }
}
