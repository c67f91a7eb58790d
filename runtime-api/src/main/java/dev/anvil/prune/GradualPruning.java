package dev.anvil.prune;

import dev.anvil.optim.Optimizer;
import dev.anvil.optim.UpdateHook;

/**
 * Gradual magnitude pruning while training: at the start of each optimizer step for which the
 * {@link PolynomialSchedule} calls for it, the masks are raised to the scheduled sparsity (only ever adding to
 * them); between updates they hold as {@link Masks#holdDuring} describes.
 *
 * <pre>{@code
 * Masks masks = Masks.forWeights(model);
 * GradualPruning.attach(masks, new PolynomialSchedule(0, 0.9, 0, 1000, 50), MagnitudePruning.Scope.GLOBAL, opt);
 * new Trainer(model, opt).epochs(3).fit(loader, test);      // 90% sparse after step 1000
 * }</pre>
 */
public final class GradualPruning implements UpdateHook {
    private final Masks masks;
    private final PolynomialSchedule schedule;
    private final MagnitudePruning.Scope scope;
    private double current = -1;

    private GradualPruning(Masks masks, PolynomialSchedule schedule, MagnitudePruning.Scope scope) {
        this.masks = masks;
        this.schedule = schedule;
        this.scope = scope;
    }

    /** Registers gradual pruning of {@code masks} on {@code optimizer}, then the masks' own hook; returns the first. */
    public static GradualPruning attach(Masks masks, PolynomialSchedule schedule, MagnitudePruning.Scope scope,
            Optimizer optimizer) {
        GradualPruning g = new GradualPruning(masks, schedule, scope);
        optimizer.addHook(g);         // first, so the step's gradients and updates see the new masks
        masks.holdDuring(optimizer);
        return g;
    }

    @Override
    public void beforeStep(Optimizer optimizer) {
        long done = optimizer.steps() - 1; // steps() already counts the one starting now
        if (schedule.updatesAt(done)) {
            double s = schedule.sparsityAt(done);
            if (s != current) {
                MagnitudePruning.toSparsity(masks, s, scope);
                current = s;
            }
        }
    }

    /** Raises the masks to the schedule's target now (at the end of training, if the ramp did not finish). */
    public void finish() {
        if (current != schedule.target()) {
            MagnitudePruning.toSparsity(masks, schedule.target(), scope);
            current = schedule.target();
        }
    }

    /** The sparsity the masks were last raised to (-1 before the first update). */
    public double currentSparsity() {
        return current;
    }
}
