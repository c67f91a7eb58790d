package dev.anvil.nn;

import dev.anvil.Tensor;

/** Maximum over {@code k x k} windows of each channel. */
public final class MaxPool2d extends Pool2d {
    public MaxPool2d(int kernel) {
        this(kernel, kernel);
    }

    public MaxPool2d(int kernel, int stride) {
        super(kernel, stride);
    }

    /** The fused kernel where the backend has one (Tensor.maxPool2d), else unfold, argmax and gather. */
    @Override
    Tensor pool(Tensor x) {
        return x.maxPool2d(kernel(), stride());
    }
}
