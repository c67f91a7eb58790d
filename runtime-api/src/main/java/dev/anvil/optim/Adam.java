package dev.anvil.optim;

import dev.anvil.Tensor;
import dev.anvil.spi.AdamStep;
import java.util.List;

/**
 * Adam (Kingma and Ba) with bias correction; weight decay is L2 (added to the gradient) here and decoupled in
 * {@link AdamW}, as in PyTorch.
 */
public class Adam extends Optimizer {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;

    public Adam(List<Tensor> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 0);
    }

    public Adam(List<Tensor> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        super(params, lr);
        if (beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1 || eps <= 0 || weightDecay < 0) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": need 0 <= beta < 1, eps > 0, weight decay >= 0; got "
                    + beta1 + ", " + beta2 + ", " + eps + ", " + weightDecay);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    /** True for AdamW's decoupled decay. */
    boolean decoupled() {
        return false;
    }

    @Override
    protected void update(int i, Tensor p, Tensor g) {
        Tensor m0 = state("exp_avg", i, p);
        Tensor v0 = state("exp_avg_sq", i, p);
        var fused = p.backend().kernel(AdamStep.class);
        if (fused.isPresent() && p.isContiguous() && g.isContiguous() && g.dtype() == p.dtype()
                && g.backend() == p.backend() && g.shape().equals(p.shape())) {
            // one pass over p, g, m, v (the backend's fused kernel)
            fused.get().adam(p.view(), g.view(), m0.view(), v0.view(), lr(), beta1, beta2, eps, weightDecay, decoupled(),
                    steps());
            return;
        }
        if (weightDecay != 0) {
            if (decoupled()) {
                p.copyFrom(p.mul(1 - lr() * weightDecay));
            } else {
                g = g.add(p.mul(weightDecay));
            }
        }
        Tensor m = state("exp_avg", i, p);
        Tensor v = state("exp_avg_sq", i, p);
        lerpInto(m, beta1, g, 1 - beta1);
        lerpInto(v, beta2, g.mul(g), 1 - beta2);
        long t = steps();
        double c1 = 1 - Math.pow(beta1, t);
        double c2 = 1 - Math.pow(beta2, t);
        Tensor denom = v.div(c2).sqrt().add(eps);
        p.addInPlace(m.div(denom), -lr() / c1);
    }
}
