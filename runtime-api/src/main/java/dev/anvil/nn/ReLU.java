package dev.anvil.nn;

import dev.anvil.Tensor;

/** Elementwise {@code relu}. */
public final class ReLU extends Module {
    @Override
    public Tensor forward(Tensor x) {
        return x.relu();
    }
}
