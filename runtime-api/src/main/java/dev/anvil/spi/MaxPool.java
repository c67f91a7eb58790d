package dev.anvil.spi;

/**
 * Optional fused kernel: 2-D max pooling of a contiguous NCHW batch {@code x} ({@code g.c()} counts the N*C
 * planes, {@code g.n()} is 1) with a {@code kh x kw} window and stride, no padding. Writes the maxima to
 * contiguous {@code out} [n, c, outH, outW] and, to contiguous I64 {@code indices} of the same shape, the
 * position of each maximum inside its plane ({@code row * w + col}): the first maximum of the window in
 * row-major order, NaN counting as the maximum (as {@link Backend#argReduce}). Without it the API composes
 * unfold, argmax and gather, with the same result.
 */
public interface MaxPool {
    void maxPool2d(View x, ConvGeometry g, View out, View indices);
}
