package dev.anvil.bench;

/**
 * FLOPs of the matrix products in the benchmarked models, per sample. Elementwise work (activations, pooling,
 * the loss, the optimizer) is not counted: it is small beside the products and memory-bound. A training step
 * counts the forward products, the weight-gradient products (the same sizes) and the input-gradient products of
 * every layer but the first (the input needs no gradient, and autograd skips it).
 */
final class ModelFlops {
    private ModelFlops() {
    }

    /** The MLP 784-256-128-10 as {in, out} of each Linear. */
    static final int[][] MLP = {{784, 256}, {256, 128}, {128, 10}};

    /**
     * The CNN of {@code Models.cnn} on 28x28x1 as the {m, k, n} of each product per sample: conv layers as
     * im2col products ({@code [out, in*9] x [in*9, h*w]}), then the dense layers ({@code [1, in] x [in, out]}).
     */
    static final int[][] CNN = {{32, 9, 28 * 28}, {64, 32 * 9, 14 * 14}, {1, 64 * 7 * 7, 128}, {1, 128, 10}};

    /** Forward FLOPs of the MLP for one sample. */
    static double mlpForward() {
        double f = 0;
        for (int[] l : MLP) {
            f += 2.0 * l[0] * l[1];
        }
        return f;
    }

    /** Training-step FLOPs of the MLP for one sample. */
    static double mlpTrain() {
        return 2 * mlpForward() - 2.0 * MLP[0][0] * MLP[0][1];
    }

    /** Forward FLOPs of the CNN for one sample. */
    static double cnnForward() {
        double f = 0;
        for (int[] p : CNN) {
            f += 2.0 * p[0] * p[1] * p[2];
        }
        return f;
    }

    /** Training-step FLOPs of the CNN for one sample. */
    static double cnnTrain() {
        int[] first = CNN[0];
        return 3 * cnnForward() - 2.0 * first[0] * first[1] * first[2];
    }
}
