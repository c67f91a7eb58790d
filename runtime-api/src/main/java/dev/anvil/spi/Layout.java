package dev.anvil.spi;

import java.util.Arrays;

/**
 * Where a tensor's elements sit in its storage: shape, strides and offset, all counted in elements.
 * A stride of 0 repeats an element (a broadcast view); negative strides are not used.
 *
 * <p>Kernels receive layouts the API has already validated against the storage's size (see
 * {@link View}), so they may index without further checks.
 */
public record Layout(int[] shape, long[] strides, long offset) {

    public Layout {
        if (shape.length != strides.length) {
            throw new IllegalArgumentException("layout: rank of shape " + Arrays.toString(shape)
                    + " differs from rank of strides " + Arrays.toString(strides));
        }
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                throw new IllegalArgumentException("layout: negative dimension in shape " + Arrays.toString(shape));
            }
            if (strides[i] < 0) {
                throw new IllegalArgumentException("layout: negative stride in " + Arrays.toString(strides));
            }
        }
        if (offset < 0) {
            throw new IllegalArgumentException("layout: negative offset " + offset);
        }
        shape = shape.clone();
        strides = strides.clone();
    }

    /** A copy of the dimensions. */
    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** A copy of the strides. */
    @Override
    public long[] strides() {
        return strides.clone();
    }

    /** A row-major contiguous layout at offset 0. */
    public static Layout contiguous(int... shape) {
        return new Layout(shape, contiguousStrides(shape), 0);
    }

    /** Row-major strides for {@code shape}. */
    public static long[] contiguousStrides(int[] shape) {
        long[] strides = new long[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            strides[i] = s;
            s *= Math.max(shape[i], 1);
        }
        return strides;
    }

    /** Number of elements (1 for a 0-d scalar, 0 when any dimension is 0). */
    public static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public int rank() {
        return shape.length;
    }

    public long numel() {
        return numel(shape);
    }

    /** Size of dimension {@code axis}. */
    public int dim(int axis) {
        return shape[axis];
    }

    /** Stride of dimension {@code axis}. */
    public long stride(int axis) {
        return strides[axis];
    }

    /** True when elements are dense and in row-major order (size-1 dimensions may have any stride). */
    public boolean isContiguous() {
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] == 1) {
                continue;
            }
            if (shape[i] == 0) {
                return true;
            }
            if (strides[i] != expected) {
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }

    /** The largest element index this layout touches, or -1 when it has no elements. */
    public long maxIndex() {
        long max = offset;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == 0) {
                return -1;
            }
            max += (long) (shape[i] - 1) * strides[i];
        }
        return max;
    }

    /** The storage index of the element at {@code index} (one coordinate per dimension). */
    public long indexOf(int... index) {
        long at = offset;
        for (int i = 0; i < index.length; i++) {
            at += index[i] * strides[i];
        }
        return at;
    }

    /**
     * Storage index of the {@code linear}-th element in row-major order of this layout's shape.
     * Generic and slow; kernels iterate with {@link StridedIter} instead.
     */
    public long indexOfLinear(long linear) {
        long at = offset;
        for (int i = shape.length - 1; i >= 0; i--) {
            int d = shape[i];
            if (d == 0) {
                return offset;
            }
            at += (linear % d) * strides[i];
            linear /= d;
        }
        return at;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Layout l && offset == l.offset && Arrays.equals(shape, l.shape)
                && Arrays.equals(strides, l.strides);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(shape) * 31 + Arrays.hashCode(strides) + Long.hashCode(offset);
    }

    @Override
    public String toString() {
        return "Layout" + Arrays.toString(shape) + " strides " + Arrays.toString(strides) + " offset " + offset;
    }
}
