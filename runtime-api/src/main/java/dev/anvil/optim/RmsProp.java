package dev.anvil.optim;

import dev.anvil.Tensor;
import java.util.List;

/** RMSProp as {@code torch.optim.RMSprop}: {@code v = a v + (1-a) g^2; p -= lr g / (sqrt v + eps)}, optional momentum. */
public final class RmsProp extends Optimizer {
    private final double alpha;
    private final double eps;
    private final double momentum;
    private final double weightDecay;

    public RmsProp(List<Tensor> params, double lr) {
        this(params, lr, 0.99, 1e-8, 0, 0);
    }

    public RmsProp(List<Tensor> params, double lr, double alpha, double eps, double momentum, double weightDecay) {
        super(params, lr);
        if (alpha < 0 || alpha >= 1 || eps <= 0 || momentum < 0 || weightDecay < 0) {
            throw new IllegalArgumentException("RmsProp: need 0 <= alpha < 1, eps > 0, momentum >= 0, weight decay >= 0");
        }
        this.alpha = alpha;
        this.eps = eps;
        this.momentum = momentum;
        this.weightDecay = weightDecay;
    }

    @Override
    protected void update(int i, Tensor p, Tensor g) {
        Tensor d = weightDecay == 0 ? g : g.add(p.mul(weightDecay));
        Tensor v = state("square_avg", i, p);
        lerpInto(v, alpha, d.mul(d), 1 - alpha);
        Tensor step = d.div(v.sqrt().add(eps));
        if (momentum > 0) {
            Tensor buf = state("momentum_buffer", i, p);
            lerpInto(buf, momentum, step, 1);
            step = buf;
        }
        p.addInPlace(step, -lr());
    }
}
