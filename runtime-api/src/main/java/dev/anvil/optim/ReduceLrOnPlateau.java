package dev.anvil.optim;

/**
 * Multiplies the learning rate by {@code factor} when a monitored value (a validation loss, lower is better)
 * has not improved by more than a relative {@code threshold} for {@code patience} consecutive steps.
 */
public final class ReduceLrOnPlateau {
    private final Optimizer optimizer;
    private final int patience;
    private final double factor;
    private final double threshold;
    private final double minLr;
    private double best = Double.POSITIVE_INFINITY;
    private int bad;

    public ReduceLrOnPlateau(Optimizer optimizer, int patience, double factor) {
        this(optimizer, patience, factor, 1e-4, 0);
    }

    public ReduceLrOnPlateau(Optimizer optimizer, int patience, double factor, double threshold, double minLr) {
        if (patience < 0 || !(factor > 0 && factor < 1)) {
            throw new IllegalArgumentException("plateau: patience must be >= 0 and factor in (0, 1), got " + patience
                    + " and " + factor);
        }
        this.optimizer = optimizer;
        this.patience = patience;
        this.factor = factor;
        this.threshold = threshold;
        this.minLr = minLr;
    }

    /** Reports the monitored value after an epoch; lowers the rate after {@code patience} epochs without improvement. */
    public void step(double value) {
        if (value < best * (1 - threshold)) {
            best = value;
            bad = 0;
            return;
        }
        if (++bad > patience) {
            optimizer.lr(Math.max(minLr, optimizer.lr() * factor));
            bad = 0;
        }
    }
}
