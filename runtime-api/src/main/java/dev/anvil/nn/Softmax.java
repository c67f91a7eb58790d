package dev.anvil.nn;

import dev.anvil.Tensor;

/** Softmax along an axis (the last by default). */
public final class Softmax extends Module {
    private final int axis;

    public Softmax() {
        this(-1);
    }

    public Softmax(int axis) {
        this.axis = axis;
    }

    @Override
    public Tensor forward(Tensor x) {
        return x.softmax(axis);
    }
}
