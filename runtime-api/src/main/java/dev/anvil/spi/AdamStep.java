package dev.anvil.spi;

/**
 * Optional fused kernel: one Adam (or AdamW) update of a parameter in a single pass over p, g, m and v,
 * instead of the dozen elementwise ops the API composes otherwise. All four views are contiguous, of the same
 * floating dtype and size. With {@code t} the step number (from 1):
 * <pre>
 *   decoupled:  p = p * (1 - lr * wd)        else: g = g + wd * p
 *   m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2
 *   p = p - lr / (1 - b1^t) * m / (sqrt(v / (1 - b2^t)) + eps)
 * </pre>
 */
public interface AdamStep {
    void adam(View p, View g, View m, View v, double lr, double beta1, double beta2, double eps, double weightDecay,
              boolean decoupled, long t);
}
