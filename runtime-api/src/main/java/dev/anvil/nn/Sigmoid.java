package dev.anvil.nn;

import dev.anvil.Tensor;

/** Elementwise {@code sigmoid}. */
public final class Sigmoid extends Module {
    @Override
    public Tensor forward(Tensor x) {
        return x.sigmoid();
    }
}
