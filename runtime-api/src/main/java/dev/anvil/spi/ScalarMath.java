package dev.anvil.spi;

/** Scalar definitions of the SPI's functions, shared by the reference backend and the scalar tails of others. */
public final class ScalarMath {
    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;
    private static final double INV_SQRT_PI = 0.5641895835477563;
    private static final double INV_SQRT2 = 0.7071067811865476;

    private ScalarMath() {
    }

    /** The error function to about 1e-14 relative: Maclaurin series below 3, continued fraction for erfc above. */
    public static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double ax = Math.abs(x);
        if (ax < 3) {
            double x2 = x * x;
            double term = x;
            double sum = x;
            for (int n = 1; n < 100; n++) {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17 * Math.abs(sum)) {
                    break;
                }
            }
            return TWO_OVER_SQRT_PI * sum;
        }
        if (ax > 6) {
            return Math.copySign(1.0, x);
        }
        // erfc(ax) = exp(-ax^2)/sqrt(pi) * 1/(ax + (1/2)/(ax + 1/(ax + (3/2)/(ax + ...)))), evaluated bottom-up
        double f = ax;
        for (int k = 60; k >= 1; k--) {
            f = ax + (k / 2.0) / f;
        }
        double erfc = Math.exp(-ax * ax) * INV_SQRT_PI / f;
        return Math.copySign(1 - erfc, x);
    }

    /** The complementary error function {@code 1 - erf(x)}, accurate in the far negative tail of GELU too. */
    public static double erfc(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        if (x < 3) {
            return 1 - erf(x); // no cancellation: erf(x) < 0.99998 here
        }
        if (x > 27) {
            return 0;
        }
        double f = x;
        for (int k = 60; k >= 1; k--) {
            f = x + (k / 2.0) / f;
        }
        return Math.exp(-x * x) * INV_SQRT_PI / f;
    }

    /**
     * GELU with the exact error function, {@code x * Phi(x)} where {@code Phi(x) = erfc(-x / sqrt 2) / 2}:
     * written with erfc so that the tail below x = -5, where {@code 1 + erf} would cancel, stays accurate.
     */
    public static double gelu(double x) {
        return 0.5 * x * erfc(-x * INV_SQRT2);
    }

    /** Logistic sigmoid, stable for large |x|. */
    public static double sigmoid(double x) {
        if (x >= 0) {
            return 1 / (1 + Math.exp(-x));
        }
        double e = Math.exp(x);
        return e / (1 + e);
    }

    /** Applies a unary op in double precision. */
    public static double apply(UnaryOp op, double x) {
        return switch (op) {
            case NEG -> -x;
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQRT -> Math.sqrt(x);
            case RSQRT -> 1 / Math.sqrt(x);
            case ABS -> Math.abs(x);
            case TANH -> Math.tanh(x);
            case SIGMOID -> sigmoid(x);
            case RELU -> x > 0 ? x : (Double.isNaN(x) ? x : 0.0);
            case GELU -> gelu(x);
            case SIN -> Math.sin(x);
            case COS -> Math.cos(x);
        };
    }

    /** Applies an arithmetic binary op in double precision (comparisons answer 1 or 0). */
    public static double apply(BinaryOp op, double a, double b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case POW -> Math.pow(a, b);
            case MAX -> Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.max(a, b);
            case MIN -> Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.min(a, b);
            case EQ -> a == b ? 1 : 0;
            case NE -> a != b ? 1 : 0;
            case LT -> a < b ? 1 : 0;
            case LE -> a <= b ? 1 : 0;
            case GT -> a > b ? 1 : 0;
            case GE -> a >= b ? 1 : 0;
        };
    }

    /** Applies a binary op on integers. Division by zero is an {@link ArithmeticException} naming the op. */
    public static long apply(BinaryOp op, long a, long b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> {
                if (b == 0) {
                    throw new ArithmeticException("integer division by zero in div; cast to a floating type first");
                }
                yield Math.floorDiv(a, b);
            }
            case POW -> {
                if (b < 0) {
                    throw new ArithmeticException("pow: integer base to negative exponent " + b + "; cast to a floating type first");
                }
                long r = 1;
                long base = a;
                for (long e = b; e > 0; e >>= 1) {
                    if ((e & 1) != 0) {
                        r *= base;
                    }
                    base *= base;
                }
                yield r;
            }
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case EQ -> a == b ? 1 : 0;
            case NE -> a != b ? 1 : 0;
            case LT -> a < b ? 1 : 0;
            case LE -> a <= b ? 1 : 0;
            case GT -> a > b ? 1 : 0;
            case GE -> a >= b ? 1 : 0;
        };
    }
}
