package dev.anvil.nn;

import dev.anvil.Shape;
import dev.anvil.Tensor;
import java.util.random.RandomGenerator;

/** Seeded weight initialisations (PyTorch's formulas): Kaiming (He) and Xavier (Glorot), uniform and normal. */
public final class Init {
    private Init() {
    }

    /** Uniform in {@code [-bound, bound)}. */
    public static Tensor uniform(Shape shape, double bound, RandomGenerator rng) {
        return Tensor.rand(shape, rng).mul(2 * bound).sub(bound);
    }

    /** Kaiming uniform for ReLU networks: bound {@code sqrt(6 / fanIn)}. */
    public static Tensor kaimingUniform(Shape shape, int fanIn, RandomGenerator rng) {
        return uniform(shape, Math.sqrt(6.0 / fanIn), rng);
    }

    /** Kaiming normal: standard deviation {@code sqrt(2 / fanIn)}. */
    public static Tensor kaimingNormal(Shape shape, int fanIn, RandomGenerator rng) {
        return Tensor.randn(shape, rng).mul(Math.sqrt(2.0 / fanIn));
    }

    /** Xavier uniform: bound {@code sqrt(6 / (fanIn + fanOut))}. */
    public static Tensor xavierUniform(Shape shape, int fanIn, int fanOut, RandomGenerator rng) {
        return uniform(shape, Math.sqrt(6.0 / (fanIn + fanOut)), rng);
    }

    /** Xavier normal: standard deviation {@code sqrt(2 / (fanIn + fanOut))}. */
    public static Tensor xavierNormal(Shape shape, int fanIn, int fanOut, RandomGenerator rng) {
        return Tensor.randn(shape, rng).mul(Math.sqrt(2.0 / (fanIn + fanOut)));
    }

    /** PyTorch's default for Linear and Conv2d (Kaiming uniform with a = sqrt 5): bound {@code 1 / sqrt(fanIn)}. */
    public static Tensor torchDefault(Shape shape, int fanIn, RandomGenerator rng) {
        return uniform(shape, 1 / Math.sqrt(fanIn), rng);
    }
}
