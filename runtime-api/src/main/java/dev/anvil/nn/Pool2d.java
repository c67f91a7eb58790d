package dev.anvil.nn;

import dev.anvil.Tensor;

/** Shared shape logic of max and average pooling: patches of each channel through {@link Tensor#unfold}. */
abstract class Pool2d extends Module {
    private final int kernel;
    private final int stride;

    Pool2d(int kernel, int stride) {
        if (kernel <= 0 || stride <= 0) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": kernel and stride must be positive, got "
                    + kernel + " and " + stride);
        }
        this.kernel = kernel;
        this.stride = stride;
    }

    /** Reduces patches {@code [n*c, k*k, L]} over axis 1. */
    abstract Tensor reduce(Tensor patches);

    /** The pooled output; by default through unfold and {@link #reduce}. */
    Tensor pool(Tensor x) {
        int n = x.dim(0);
        int c = x.dim(1);
        int oh = (x.dim(2) - kernel) / stride + 1;
        int ow = (x.dim(3) - kernel) / stride + 1;
        Tensor patches = x.reshape(n * c, 1, x.dim(2), x.dim(3)).unfold(new int[] {kernel, kernel},
                new int[] {stride, stride}, new int[] {0, 0}, new int[] {1, 1});
        return reduce(patches).reshape(n, c, oh, ow);
    }

    @Override
    public final Tensor forward(Tensor x) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": input must be [n, c, h, w], got " + x.shape());
        }
        return pool(x);
    }

    public final int kernel() {
        return kernel;
    }

    public final int stride() {
        return stride;
    }
}
