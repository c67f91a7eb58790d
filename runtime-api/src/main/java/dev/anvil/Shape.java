package dev.anvil;

import java.util.Arrays;

/**
 * The dimensions of a tensor. Immutable; {@code []} is the shape of a 0-d scalar.
 *
 * <pre>{@code
 * Shape s = Shape.of(32, 784);
 * s.rank();      // 2
 * s.dim(-1);     // 784 (negative axes count from the end)
 * s.numel();     // 25088
 * }</pre>
 */
public final class Shape {
    private final int[] dims;

    private Shape(int[] dims) {
        this.dims = dims;
    }

    /** A shape from its dimensions; negative sizes are an error naming the shape. */
    public static Shape of(int... dims) {
        for (int d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(dims));
            }
        }
        long n = 1;
        for (int d : dims) {
            n *= d;
            if (n > Integer.MAX_VALUE * 64L) {
                throw new IllegalArgumentException("shape " + Arrays.toString(dims) + " has more than 2^37 elements");
            }
        }
        return new Shape(dims.clone());
    }

    /** The 0-d shape of a scalar. */
    public static Shape scalar() {
        return new Shape(new int[0]);
    }

    /** A copy of the dimensions. */
    public int[] dims() {
        return dims.clone();
    }

    /** Number of dimensions. */
    public int rank() {
        return dims.length;
    }

    /** Size of {@code axis}; negative axes count from the end. */
    public int dim(int axis) {
        return dims[axis(axis)];
    }

    /** Number of elements. */
    public long numel() {
        long n = 1;
        for (int d : dims) {
            n *= d;
        }
        return n;
    }

    /** Normalises a possibly negative axis, failing with the valid range. */
    public int axis(int axis) {
        return normalizeAxis(axis, dims.length, "axis");
    }

    static int normalizeAxis(int axis, int rank, String what) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new IllegalArgumentException(what + " " + axis + " is out of range for a tensor of rank " + rank
                    + " (valid: " + (-rank) + " to " + (rank - 1) + ")");
        }
        return a;
    }

    /**
     * The shape both operands broadcast to, by NumPy's rules: dimensions are aligned from the right, and
     * each pair must be equal or contain a 1.
     */
    public static Shape broadcast(String op, Shape a, Shape b) {
        return new Shape(broadcast(op, a.dims, b.dims));
    }

    /** {@link #broadcast(String, Shape, Shape)} on arrays (no copies of the inputs). */
    static int[] broadcast(String op, int[] a, int[] b) {
        if (java.util.Arrays.equals(a, b)) {
            return a;
        }
        int r = Math.max(a.length, b.length);
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i < r - a.length ? 1 : a[i - (r - a.length)];
            int db = i < r - b.length ? 1 : b[i - (r - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                        + " cannot be broadcast (dimension " + i + " of the result: " + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    /** {@code [2, 3]}. */
    @Override
    public String toString() {
        return Arrays.toString(dims);
    }
}
