package dev.anvil.optim;

import dev.anvil.Autograd;
import dev.anvil.Tensor;
import java.util.List;

/** Gradient clipping, as {@code torch.nn.utils.clip_grad_norm_} and {@code clip_grad_value_}. */
public final class GradClip {
    private GradClip() {
    }

    /** Scales all gradients so their global L2 norm is at most {@code maxNorm}; returns the norm before clipping. */
    public static double byGlobalNorm(List<Tensor> params, double maxNorm) {
        if (!(maxNorm > 0)) {
            throw new IllegalArgumentException("clip by norm: maxNorm must be positive, got " + maxNorm);
        }
        try (var off = Autograd.noGrad()) {
            double sq = 0;
            for (Tensor p : params) {
                if (p.grad() != null) {
                    Tensor g = p.grad();
                    sq += g.mul(g).sum().item();
                }
            }
            double norm = Math.sqrt(sq);
            double scale = maxNorm / (norm + 1e-6);
            if (scale < 1) {
                for (Tensor p : params) {
                    if (p.grad() != null) {
                        p.grad().copyFrom(p.grad().mul(scale));
                    }
                }
            }
            return norm;
        }
    }

    /** Clamps every gradient element to {@code [-limit, limit]}. */
    public static void byValue(List<Tensor> params, double limit) {
        if (!(limit > 0)) {
            throw new IllegalArgumentException("clip by value: limit must be positive, got " + limit);
        }
        try (var off = Autograd.noGrad()) {
            for (Tensor p : params) {
                if (p.grad() != null) {
                    p.grad().copyFrom(p.grad().clamp(-limit, limit));
                }
            }
        }
    }
}
