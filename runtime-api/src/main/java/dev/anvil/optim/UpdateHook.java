package dev.anvil.optim;

import dev.anvil.Tensor;

/**
 * Code that runs inside {@link Optimizer#step()}, with gradients off: before the step, on each parameter's
 * gradient before its update, and after each update. Pruning masks use it to keep pruned weights and their
 * optimizer state at exactly zero whatever the update rule.
 *
 * <pre>{@code
 * optimizer.addHook(new UpdateHook() {
 *     public void afterUpdate(int index, Tensor p, Optimizer opt) {
 *         p.copyFrom(p.clamp(-1, 1));                      // a weight constraint
 *     }
 * });
 * }</pre>
 */
public interface UpdateHook {
    /** Runs once at the start of every step, after the step count has advanced. */
    default void beforeStep(Optimizer optimizer) {
    }

    /** The gradient parameter {@code index} is updated with; returns {@code g} itself unless it changes it. */
    default Tensor gradient(int index, Tensor p, Tensor g) {
        return g;
    }

    /** Runs after parameter {@code index} was updated; {@link Optimizer#parameterState} has its buffers. */
    default void afterUpdate(int index, Tensor p, Optimizer optimizer) {
    }
}
