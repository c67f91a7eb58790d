package dev.anvil.nn;

import dev.anvil.Tensor;

/** Mean over {@code k x k} windows of each channel. */
public final class AvgPool2d extends Pool2d {
    public AvgPool2d(int kernel) {
        this(kernel, kernel);
    }

    public AvgPool2d(int kernel, int stride) {
        super(kernel, stride);
    }

    @Override
    Tensor reduce(Tensor patches) {
        return patches.mean(1);
    }
}
