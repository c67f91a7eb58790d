package dev.anvil.spi;

/**
 * Optional fused kernel: the gradient of ReLU in one pass, {@code out = x > 0 ? grad : 0} (NaN in x gives 0),
 * over contiguous views of one floating dtype and size. Without it the API composes a comparison and a
 * select, two passes and a byte mask in between.
 */
public interface ReluBackward {
    void reluBackward(View x, View grad, View out);
}
