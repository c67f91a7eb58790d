package dev.anvil.nn;

import dev.anvil.Tensor;

/** Elementwise {@code gelu}. */
public final class GELU extends Module {
    @Override
    public Tensor forward(Tensor x) {
        return x.gelu();
    }
}
