package dev.anvil.spi;

/**
 * Optional fused kernel: im2col and col2im with the whole batch's columns side by side in one matrix
 * {@code [c*kh*kw, n*outH*outW]} (row {@code (ch*kh + ki)*kw + kj}, column {@code image*outH*outW + y*outW + x}),
 * instead of {@link Backend#im2col}'s {@code [n, c*kh*kw, outH*outW]}. With it a convolution is one GEMM over
 * the batch rather than one small GEMM per image. Both take contiguous operands; {@code col2im} adds into
 * {@code x}. Without it the API unfolds per image and permutes (one extra copy), with the same result.
 */
public interface BatchIm2col {
    /** Unfolds contiguous image batch {@code x} into contiguous {@code cols} [c*kh*kw, n*outH*outW]. */
    void im2col(View x, ConvGeometry g, View cols);

    /** Folds contiguous {@code cols} [c*kh*kw, n*outH*outW] back, adding overlapping patches into contiguous {@code x}. */
    void col2im(View cols, ConvGeometry g, View x);
}
