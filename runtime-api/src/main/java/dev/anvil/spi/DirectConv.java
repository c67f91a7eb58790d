package dev.anvil.spi;

import dev.anvil.DType;

/**
 * Optional kernel: a convolution with few taps per output (a network's first layer: one or three input channels,
 * a 3x3 or 5x5 kernel) computed directly, with bias, ReLU and max pooling, and its weight gradient, without the
 * column matrix and the matrix products of the im2col form. There, a product with a handful of rows per column
 * is a pass over memory, not arithmetic: the first layer of a Fashion-MNIST CNN writes and reads a 12.8 MB
 * activation and its gradient around two such products each step. A direct kernel keeps each image's planes in
 * cache and never stores the activation.
 *
 * <p>The input's gradient is not computed: the API takes this path only when the input needs none (a first
 * layer, or inference). All views are contiguous; callers ask {@link #supports} first, and a kernel throws
 * {@link IllegalArgumentException} for operands that do not fit.
 */
public interface DirectConv {
    /**
     * Whether this kernel computes {@code conv} (input {@code [n, c, h, w]}, its kernel, stride, padding and
     * dilation) followed by ReLU and {@code pool} (of one output plane) on {@code dtype}.
     */
    boolean supports(DType dtype, ConvGeometry conv, ConvGeometry pool);

    /**
     * {@code z[i, o] = maxPool(relu(conv2d(x[i], w[o]) + bias[o]))}, and {@code indices[i, o, p]} the position in
     * the {@code outH x outW} convolution plane of pooled output {@code p}'s first maximum, as {@link MaxPool}
     * gives it. Sums may be taken in any fixed order (not the matrix product's): results agree with the im2col
     * form to rounding, exactly where every product and partial sum is exact.
     *
     * @param x       {@code [n, c, h, w]}
     * @param w       {@code [out, c*kh*kw]}, each row in {@code (c, kh, kw)} order
     * @param bias    {@code [out]} or null
     * @param conv    the convolution
     * @param pool    the pooling of one {@code conv.outH() x conv.outW()} plane (no padding or dilation)
     * @param z       {@code [n, out, pool.outH()*pool.outW()]}
     * @param indices I64, the shape of {@code z}
     */
    void forwardPool(View x, View w, View bias, ConvGeometry conv, ConvGeometry pool, View z, View indices);

    /**
     * The weight and bias gradients of {@link #forwardPool}: with {@code g} the pooled output's gradient, the
     * convolution output's gradient is {@code g[i, o, p]} at {@code indices[i, o, p]} where {@code z[i, o, p] > 0}
     * and 0 elsewhere (as {@link ConvEpilogue#backwardPool} gives it); {@code gw[o, t]} is its correlation with
     * the input under tap {@code t}, and {@code gb[o]} (when given) its sum, both accumulated in double in an
     * order that does not depend on the thread count. Throws {@link IllegalArgumentException} for an index
     * outside the plane.
     *
     * @param g       {@code [n, out, pooled]}
     * @param z       the pooled output of the forward pass, {@code [n, out, pooled]}
     * @param indices I64 {@code [n, out, pooled]}
     * @param x       the forward pass's input, {@code [n, c, h, w]}
     * @param gw      {@code [out, c*kh*kw]}, overwritten
     * @param gb      {@code [out]}, overwritten, or null
     */
    void backwardPool(View g, View z, View indices, View x, ConvGeometry conv, ConvGeometry pool, View gw, View gb);
}
