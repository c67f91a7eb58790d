package dev.anvil.nn;

import dev.anvil.Shape;
import dev.anvil.Tensor;
import java.util.random.RandomGenerator;

/** {@code y = x W^T + b}, weight {@code [out, in]} as in PyTorch, initialised like PyTorch's default. */
public final class Linear extends Module {
    private final int in;
    private final int out;
    private final Tensor weight;
    private final Tensor bias;

    public Linear(int in, int out, RandomGenerator rng) {
        this(in, out, true, rng);
    }

    public Linear(int in, int out, boolean bias, RandomGenerator rng) {
        if (in <= 0 || out <= 0) {
            throw new IllegalArgumentException("Linear: sizes must be positive, got in=" + in + " out=" + out);
        }
        this.in = in;
        this.out = out;
        this.weight = parameter("weight", Init.torchDefault(Shape.of(out, in), in, rng));
        this.bias = bias ? parameter("bias", Init.torchDefault(Shape.of(out), in, rng)) : null;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() == 0 || x.dim(-1) != in) {
            throw new IllegalArgumentException("Linear(" + in + " -> " + out + "): input " + x.shape()
                    + " must end in " + in + " features");
        }
        Tensor y = x.matmul(weight.mT());
        return bias == null ? y : y.add(bias);
    }

    public int inFeatures() {
        return in;
    }

    public int outFeatures() {
        return out;
    }

    public Tensor weight() {
        return weight;
    }

    /** The bias, or null. */
    public Tensor bias() {
        return bias;
    }
}
