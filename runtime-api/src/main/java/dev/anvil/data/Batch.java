package dev.anvil.data;

import dev.anvil.Tensor;

/**
 * One batch: features {@code [n, ...featureShape]} (F32) and labels {@code [n]} (I64).
 *
 * @param x features
 * @param y labels
 */
public record Batch(Tensor x, Tensor y) {
    /** Number of examples. */
    public int size() {
        return y.dim(0);
    }
}
