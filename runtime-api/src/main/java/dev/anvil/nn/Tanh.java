package dev.anvil.nn;

import dev.anvil.Tensor;

/** Elementwise {@code tanh}. */
public final class Tanh extends Module {
    @Override
    public Tensor forward(Tensor x) {
        return x.tanh();
    }
}
