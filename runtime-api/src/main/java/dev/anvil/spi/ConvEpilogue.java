package dev.anvil.spi;

/**
 * Optional fused kernel: the last step of a convolution computed as one matrix product over the batch, and its
 * gradient, each in one pass. The product leaves {@code y} as {@code [out, n, L]} (channel-major); the layer's
 * output is NCHW {@code [n, out, L]}. Without this kernel the API composes a permuted copy, a bias add, a ReLU
 * and, backwards, a ReLU gradient, a permuted copy and a sum: three passes over the activation each way.
 *
 * <p>All views are contiguous and of one floating dtype; a kernel throws {@link IllegalArgumentException} for a
 * dtype it does not support (callers ask {@link #supports} first).
 */
public interface ConvEpilogue {
    /** Whether this kernel runs {@code dtype}. */
    boolean supports(dev.anvil.DType dtype);

    /**
     * {@code z[i, c, l] = act(y[c, i, l] + bias[c])}, where {@code act} is ReLU ({@code max(v, 0)}, NaN kept) when
     * {@code relu} and the identity otherwise; {@code bias} may be null (nothing added).
     *
     * @param y    {@code [out, n, L]}
     * @param bias {@code [out]} or null
     * @param z    {@code [n, out, L]}
     */
    void forward(View y, View bias, View z, boolean relu);

    /**
     * The gradients of {@link #forward}: {@code gy[c, i, l] = g[i, c, l]}, or 0 where {@code z[i, c, l] > 0} is
     * false when {@code z} (the forward's ReLU output) is given; and, when {@code biasGrad} is given,
     * {@code biasGrad[c] = sum over i, l of gy[c, i, l]}, accumulated in double in a fixed order.
     *
     * @param g        {@code [n, out, L]}, the output's gradient
     * @param z        {@code [n, out, L]} the ReLU output, or null when the forward had no ReLU
     * @param gy       {@code [out, n, L]}
     * @param biasGrad {@code [out]} or null
     */
    void backward(View g, View z, View gy, View biasGrad);

    /**
     * {@link #forward} with ReLU, then max pooling of each {@code h x w} plane as {@link MaxPool} does it, without
     * storing the ReLU output: {@code z[i, c] = maxPool(relu(y[c, i] + bias[c]))} and {@code indices[i, c, o]} the
     * position in the plane of output {@code o}'s first maximum.
     *
     * @param y       {@code [out, n, h*w]}
     * @param bias    {@code [out]} or null
     * @param pool    the pooling of one plane: {@code h}, {@code w}, window and stride (no padding or dilation)
     * @param z       {@code [n, out, outH*outW]}
     * @param indices I64 {@code [n, out, outH*outW]}
     */
    void forwardPool(View y, View bias, ConvGeometry pool, View z, View indices);

    /**
     * The gradients of {@link #forwardPool}: {@code gy[c, i, l]} is the sum, in output order, of {@code g[i, c, o]}
     * over the outputs {@code o} with {@code indices[i, c, o] == l} and {@code z[i, c, o] > 0}, and 0 where there
     * are none; {@code biasGrad[c]} (when given) the sum of those gradients over {@code i} and {@code o}, in
     * double. Throws {@link IllegalArgumentException} for an index outside the plane.
     *
     * @param g       {@code [n, out, outH*outW]}
     * @param z       the pooled output, {@code [n, out, outH*outW]}
     * @param indices I64 {@code [n, out, outH*outW]}
     * @param gy      {@code [out, n, h*w]}
     */
    void backwardPool(View g, View z, View indices, ConvGeometry pool, View gy, View biasGrad);
}
