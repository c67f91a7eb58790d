package dev.anvil.nn;

import dev.anvil.Tensor;
import java.util.random.RandomGenerator;

/** Zeroes each element with probability p in training mode and scales the rest by 1/(1-p); identity in eval mode. */
public final class Dropout extends Module {
    private final double p;
    private final RandomGenerator rng;

    public Dropout(double p, RandomGenerator rng) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("Dropout: p must be in [0, 1), got " + p);
        }
        this.p = p;
        this.rng = rng;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (!isTraining() || p == 0) {
            return x;
        }
        Tensor keep = Tensor.rand(x.shape(), rng).ge(Tensor.scalar(p)).cast(x.dtype());
        return x.mul(keep).mul(1 / (1 - p));
    }
}
