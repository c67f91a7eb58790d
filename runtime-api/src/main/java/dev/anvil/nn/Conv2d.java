package dev.anvil.nn;

import dev.anvil.Shape;
import dev.anvil.Tensor;
import java.util.random.RandomGenerator;

/**
 * 2-D convolution over NCHW input ({@link Tensor#conv2d}: im2col of the whole batch and one matrix product).
 * Weight {@code [out, in, k, k]}.
 */
public final class Conv2d extends Module {
    private final int inChannels;
    private final int outChannels;
    private final int kernel;
    private final int stride;
    private final int padding;
    private final Tensor weight;
    private final Tensor bias;

    public Conv2d(int inChannels, int outChannels, int kernel, int stride, int padding, RandomGenerator rng) {
        if (inChannels <= 0 || outChannels <= 0 || kernel <= 0 || stride <= 0 || padding < 0) {
            throw new IllegalArgumentException("Conv2d: channels, kernel and stride must be positive and padding >= 0, got "
                    + inChannels + " -> " + outChannels + ", kernel " + kernel + ", stride " + stride + ", padding " + padding);
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        int fanIn = inChannels * kernel * kernel;
        this.weight = parameter("weight", Init.torchDefault(Shape.of(outChannels, inChannels, kernel, kernel), fanIn, rng));
        this.bias = parameter("bias", Init.torchDefault(Shape.of(outChannels), fanIn, rng));
    }

    @Override
    public Tensor forward(Tensor x) {
        checkInput(x);
        return x.conv2d(weight, bias, stride, padding);
    }

    /** {@code relu(forward(x))} in fewer passes ({@link Tensor#conv2dRelu}); {@link Sequential} calls it. */
    Tensor forwardRelu(Tensor x) {
        checkInput(x);
        return x.conv2dRelu(weight, bias, stride, padding);
    }

    /** {@code maxPool(relu(forward(x)))} in fewer passes ({@link Tensor#conv2dReluMaxPool}); {@link Sequential} calls it. */
    Tensor forwardReluMaxPool(Tensor x, MaxPool2d pool) {
        checkInput(x);
        return x.conv2dReluMaxPool(weight, bias, stride, padding, pool.kernel(), pool.stride());
    }

    private void checkInput(Tensor x) {
        if (x.rank() != 4 || x.dim(1) != inChannels) {
            throw new IllegalArgumentException("Conv2d(" + inChannels + " -> " + outChannels + "): input " + x.shape()
                    + " must be [n, " + inChannels + ", h, w]");
        }
    }

    public Tensor weight() {
        return weight;
    }

    public Tensor bias() {
        return bias;
    }

    public int inChannels() {
        return inChannels;
    }

    public int outChannels() {
        return outChannels;
    }

    public int kernel() {
        return kernel;
    }

    public int stride() {
        return stride;
    }

    public int padding() {
        return padding;
    }
}
