package dev.anvil.spi;

/** Elementwise functions of one operand. All but NEG and ABS need a floating type. */
public enum UnaryOp {
    NEG, EXP, LOG, SQRT, RSQRT, ABS, TANH, SIGMOID, RELU,
    /** GELU with the exact error function, as PyTorch's default: {@code x * (1 + erf(x / sqrt 2)) / 2}. */
    GELU,
    SIN, COS;

    /** True when the op is defined on integer types too. */
    public boolean integral() {
        return this == NEG || this == ABS || this == RELU;
    }
}
