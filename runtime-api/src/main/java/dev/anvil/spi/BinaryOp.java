package dev.anvil.spi;

/**
 * Elementwise functions of two operands of the same type. MAX and MIN propagate NaN (as
 * {@code torch.maximum}); the comparisons write {@link dev.anvil.DType#BOOL} (0 or 1) and are false for
 * NaN except NE.
 */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, POW, MAX, MIN, EQ, NE, LT, LE, GT, GE;

    /** True for the comparisons, whose result is BOOL. */
    public boolean isComparison() {
        return ordinal() >= EQ.ordinal();
    }
}
