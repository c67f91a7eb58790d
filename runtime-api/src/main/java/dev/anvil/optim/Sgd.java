package dev.anvil.optim;

import dev.anvil.Tensor;
import java.util.List;

/** Stochastic gradient descent with momentum, Nesterov momentum and L2 weight decay, as {@code torch.optim.SGD}. */
public final class Sgd extends Optimizer {
    private final double momentum;
    private final boolean nesterov;
    private final double weightDecay;

    public Sgd(List<Tensor> params, double lr) {
        this(params, lr, 0, false, 0);
    }

    public Sgd(List<Tensor> params, double lr, double momentum, boolean nesterov, double weightDecay) {
        super(params, lr);
        if (momentum < 0 || weightDecay < 0) {
            throw new IllegalArgumentException("Sgd: momentum and weight decay must be >= 0");
        }
        if (nesterov && momentum == 0) {
            throw new IllegalArgumentException("Sgd: Nesterov momentum needs momentum > 0");
        }
        this.momentum = momentum;
        this.nesterov = nesterov;
        this.weightDecay = weightDecay;
    }

    @Override
    protected void update(int i, Tensor p, Tensor g) {
        Tensor d = weightDecay == 0 ? g : g.add(p.mul(weightDecay));
        if (momentum != 0) {
            Tensor buf = state("momentum", i, p);
            if (steps() == 1) {
                buf.copyFrom(d);
            } else {
                lerpInto(buf, momentum, d, 1);
            }
            d = nesterov ? d.add(buf.mul(momentum)) : buf;
        }
        p.addInPlace(d, -lr());
    }
}
