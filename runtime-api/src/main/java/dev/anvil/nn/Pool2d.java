package dev.anvil.nn;

import dev.anvil.Tensor;

/** Shared parameters and input checks of max and average pooling over {@code [n, c, h, w]}. */
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

    /** The pooled {@code [n, c, outH, outW]} output of a 4-D input. */
    abstract Tensor pool(Tensor x);

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
