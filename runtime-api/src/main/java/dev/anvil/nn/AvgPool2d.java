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

    /** Patches of each channel through {@link Tensor#unfold}, averaged. */
    @Override
    Tensor pool(Tensor x) {
        int n = x.dim(0);
        int c = x.dim(1);
        int oh = (x.dim(2) - kernel()) / stride() + 1;
        int ow = (x.dim(3) - kernel()) / stride() + 1;
        Tensor patches = x.reshape(n * c, 1, x.dim(2), x.dim(3)).unfold(new int[] {kernel(), kernel()},
                new int[] {stride(), stride()}, new int[] {0, 0}, new int[] {1, 1});
        return patches.mean(1).reshape(n, c, oh, ow);
    }
}
