package dev.anvil.prune;

/**
 * The gradual pruning schedule of Zhu and Gupta ("To prune, or not to prune", 2017): sparsity rises from
 * {@code initial} to {@code target} over {@code steps} optimizer steps starting at {@code begin}, as
 * {@code s(t) = target + (initial - target) * (1 - (t - begin) / steps)^3}, fast at first (while many redundant
 * weights remain) and slowly towards the end; masks are updated every {@code every} steps and at the last one.
 *
 * <pre>{@code
 * var schedule = new PolynomialSchedule(0, 0.9, 0, 2000, 100);   // 90% after 2,000 steps, updated every 100
 * }</pre>
 *
 * @param initial sparsity at {@code begin}
 * @param target sparsity from {@code begin + steps} on
 * @param begin the step (0-based count of steps already taken) at which pruning starts
 * @param steps length of the ramp in steps
 * @param every steps between mask updates
 */
public record PolynomialSchedule(double initial, double target, long begin, long steps, long every) {
    public PolynomialSchedule {
        if (!(initial >= 0 && initial <= target && target <= 1)) {
            throw new IllegalArgumentException("PolynomialSchedule: need 0 <= initial <= target <= 1, got initial " + initial
                    + ", target " + target);
        }
        if (begin < 0 || steps <= 0 || every <= 0) {
            throw new IllegalArgumentException("PolynomialSchedule: need begin >= 0, steps > 0 and every > 0, got begin " + begin
                    + ", steps " + steps + ", every " + every);
        }
    }

    /** The sparsity after {@code t} steps. */
    public double sparsityAt(long t) {
        if (t <= begin) {
            return initial;
        }
        if (t >= begin + steps) {
            return target;
        }
        double left = 1 - (t - begin) / (double) steps;
        return target + (initial - target) * left * left * left;
    }

    /** True if the masks are updated after {@code t} steps: every {@code every} steps of the ramp, and at its end. */
    public boolean updatesAt(long t) {
        return t >= begin && t <= begin + steps && ((t - begin) % every == 0 || t == begin + steps);
    }
}
