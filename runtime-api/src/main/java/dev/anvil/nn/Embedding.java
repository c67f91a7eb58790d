package dev.anvil.nn;

import dev.anvil.Shape;
import dev.anvil.Tensor;
import java.util.random.RandomGenerator;

/** A lookup table: integer indices of any shape to vectors of {@code dim} (weight {@code [count, dim]}, N(0, 1) init). */
public final class Embedding extends Module {
    private final int count;
    private final int dim;
    private final Tensor weight;

    public Embedding(int count, int dim, RandomGenerator rng) {
        if (count <= 0 || dim <= 0) {
            throw new IllegalArgumentException("Embedding: count and dim must be positive, got " + count + " and " + dim);
        }
        this.count = count;
        this.dim = dim;
        this.weight = parameter("weight", Tensor.randn(Shape.of(count, dim), rng));
    }

    @Override
    public Tensor forward(Tensor indices) {
        int[] outShape = java.util.Arrays.copyOf(indices.dims(), indices.rank() + 1);
        outShape[indices.rank()] = dim;
        return weight.indexSelect(0, indices.flatten()).reshape(outShape);
    }

    public int count() {
        return count;
    }

    public Tensor weight() {
        return weight;
    }
}
