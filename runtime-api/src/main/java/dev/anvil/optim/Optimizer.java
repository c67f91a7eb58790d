package dev.anvil.optim;

import dev.anvil.Autograd;
import dev.anvil.MemoryScope;
import dev.anvil.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Updates parameters from their gradients. State (momenta, step counts) lives in named buffers so that a
 * checkpoint can save and restore it ({@link #stateDict()}); updates run without recording gradients.
 *
 * <pre>{@code
 * Optimizer opt = new Adam(model.parameters(), 1e-3);
 * for (Batch b : loader) {
 *     try (var step = MemoryScope.open("step")) {
 *         opt.zeroGrad();
 *         Losses.crossEntropy(model.forward(b.x()), b.y()).backward();
 *         opt.step();
 *     }
 * }
 * }</pre>
 */
public abstract class Optimizer {
    protected final List<Tensor> params;
    private double lr;
    private long steps;
    private final Map<String, Tensor> state = new LinkedHashMap<>();
    private final List<UpdateHook> hooks = new ArrayList<>();

    protected Optimizer(List<Tensor> params, double lr) {
        if (params.isEmpty()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": no parameters to optimise");
        }
        if (!(lr >= 0)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": learning rate must be >= 0, got " + lr);
        }
        for (Tensor p : params) {
            if (!p.requiresGrad() || !p.isLeaf()) {
                throw new IllegalArgumentException(getClass().getSimpleName() + ": " + p.describe()
                        + " is not a leaf parameter with requiresGrad(true)");
            }
        }
        this.params = List.copyOf(params);
        this.lr = lr;
    }

    /** The current learning rate. */
    public double lr() {
        return lr;
    }

    /** Sets the learning rate (schedules call this). */
    public void lr(double value) {
        if (!(value >= 0)) {
            throw new IllegalArgumentException("learning rate must be >= 0, got " + value);
        }
        lr = value;
    }

    /** Number of {@link #step()} calls so far. */
    public long steps() {
        return steps;
    }

    /** Zeroes every parameter's gradient. */
    public void zeroGrad() {
        for (Tensor p : params) {
            p.zeroGrad();
        }
    }

    /**
     * Applies one update to every parameter that has a gradient, running the {@linkplain #addHook hooks} around
     * it: before the step, on each gradient, and after each parameter's update.
     */
    public final void step() {
        steps++;
        try (var off = Autograd.noGrad()) {
            for (UpdateHook h : hooks) {
                h.beforeStep(this);
            }
            for (int i = 0; i < params.size(); i++) {
                Tensor p = params.get(i);
                if (p.grad() != null) {
                    Tensor g = p.grad();
                    for (UpdateHook h : hooks) {
                        g = h.gradient(i, p, g);
                    }
                    update(i, p, g);
                    for (UpdateHook h : hooks) {
                        h.afterUpdate(i, p, this);
                    }
                }
            }
        }
    }

    /** Adds a hook that runs inside every later {@link #step()}, after the ones added before it. */
    public final void addHook(UpdateHook hook) {
        hooks.add(java.util.Objects.requireNonNull(hook, "hook"));
    }

    /** Removes a hook added with {@link #addHook}; true if it was there. */
    public final boolean removeHook(UpdateHook hook) {
        return hooks.remove(hook);
    }

    /** The parameters this optimizer updates, in the order their indices refer to. */
    public final List<Tensor> parameters() {
        return params;
    }

    /**
     * The live state buffers of parameter {@code index} by name (for example {@code exp_avg}, {@code momentum}):
     * the tensors the next update reads, so writing into them changes the optimizer's state. Empty before the
     * parameter's first update.
     */
    public final Map<String, Tensor> parameterState(int index) {
        String prefix = index + ".";
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (var e : state.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                out.put(e.getKey().substring(prefix.length()), e.getValue());
            }
        }
        return out;
    }

    /** Updates parameter {@code index} in place from gradient {@code g}; {@link #steps()} counts from 1. */
    protected abstract void update(int index, Tensor p, Tensor g);

    /** The state buffer {@code name} of parameter {@code index}, zero-initialised in long-lived memory on first use. */
    protected final Tensor state(String name, int index, Tensor like) {
        return state.computeIfAbsent(index + "." + name, k -> MemoryScope.atRoot(() -> like.detach().copy().fill(0)));
    }

    /** Optimizer state for a checkpoint: buffers by name plus the step count (as a 0-d tensor "steps"). */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>(state);
        out.put("steps", MemoryScope.atRoot(() -> Tensor.scalar(steps, dev.anvil.DType.I64)));
        out.put("lr", MemoryScope.atRoot(() -> Tensor.scalar(lr, dev.anvil.DType.F64)));
        return out;
    }

    /** Restores state saved by {@link #stateDict()}. */
    public void loadStateDict(Map<String, Tensor> saved) {
        state.clear();
        for (var e : saved.entrySet()) {
            switch (e.getKey()) {
                case "steps" -> steps = e.getValue().itemLong();
                case "lr" -> lr = e.getValue().item();
                default -> state.put(e.getKey(), MemoryScope.atRoot(() -> e.getValue().detach().copy()));
            }
        }
    }

    /** {@code t = t * a + u * b} in place. */
    protected static void lerpInto(Tensor t, double a, Tensor u, double b) {
        t.copyFrom(t.mul(a).add(u.mul(b)));
    }
}
