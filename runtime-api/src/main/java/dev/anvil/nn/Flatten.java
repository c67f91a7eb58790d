package dev.anvil.nn;

import dev.anvil.Tensor;

/** {@code [n, ...] -> [n, prod(...)]}. */
public final class Flatten extends Module {
    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() < 1) {
            throw new IllegalArgumentException("Flatten: input must have a batch dimension, got " + x.shape());
        }
        return x.rank() == 2 ? x : x.reshape(x.dim(0), -1);
    }
}
