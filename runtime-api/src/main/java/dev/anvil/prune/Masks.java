package dev.anvil.prune;

import dev.anvil.Autograd;
import dev.anvil.MemoryScope;
import dev.anvil.Tensor;
import dev.anvil.nn.Conv2d;
import dev.anvil.nn.Linear;
import dev.anvil.nn.Module;
import dev.anvil.optim.Optimizer;
import dev.anvil.optim.UpdateHook;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Pruning masks: for each pruned parameter, a tensor of its shape holding 1 where the weight is kept and 0 where
 * it is pruned. {@link #apply()} zeroes the pruned weights; {@link #holdDuring(Optimizer)} keeps them exactly
 * zero through training, whatever the update rule: every step masks the gradient before the update, then masks
 * the weight and the parameter's optimizer state (momentum, Adam's moments) after it.
 *
 * <pre>{@code
 * Masks masks = Masks.forWeights(model);           // every Linear and Conv2d weight, nothing pruned yet
 * MagnitudePruning.toSparsity(masks, 0.8, MagnitudePruning.Scope.LAYER);
 * masks.holdDuring(optimizer);
 * }</pre>
 */
public final class Masks {
    private final Map<String, Tensor> params = new LinkedHashMap<>();
    private final Map<String, Tensor> masks = new LinkedHashMap<>();
    private final Map<Tensor, Tensor> byParam = new IdentityHashMap<>();

    private Masks(Map<String, Tensor> parameters) {
        if (parameters.isEmpty()) {
            throw new IllegalArgumentException("Masks: no parameters to prune");
        }
        for (var e : parameters.entrySet()) {
            Tensor p = e.getValue();
            if (!p.dtype().isFloating()) {
                throw new IllegalArgumentException("Masks: '" + e.getKey() + "' is " + p.describe() + "; only floating tensors are pruned");
            }
            Tensor ones = MemoryScope.atRoot(() -> Tensor.ones(p.shape(), p.dtype()).to(p.backend()));
            params.put(e.getKey(), p);
            masks.put(e.getKey(), ones);
            byParam.put(p, ones);
        }
    }

    /** Masks over the given parameters (by name), all kept. */
    public static Masks of(Map<String, Tensor> parameters) {
        return new Masks(parameters);
    }

    /** Masks over the weights of every {@link Linear} and {@link Conv2d} of {@code model} (not biases), all kept. */
    public static Masks forWeights(Module model) {
        return new Masks(prunableWeights(model));
    }

    /** The weights of every {@link Linear} and {@link Conv2d} in {@code model}, by state-dict name, in order. */
    public static Map<String, Tensor> prunableWeights(Module model) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect(model, "", out);
        return out;
    }

    private static void collect(Module m, String prefix, Map<String, Tensor> out) {
        if (m instanceof Linear l) {
            out.put(prefix + "weight", l.weight());
        } else if (m instanceof Conv2d c) {
            out.put(prefix + "weight", c.weight());
        }
        for (var e : m.children().entrySet()) {
            collect(e.getValue(), prefix + e.getKey() + ".", out);
        }
    }

    /** Names of the masked parameters, in order. */
    public Set<String> names() {
        return Collections.unmodifiableSet(masks.keySet());
    }

    /** The parameter {@code name}. */
    public Tensor parameter(String name) {
        return require(params, name);
    }

    /** The mask of {@code name} (1 kept, 0 pruned); the live tensor, not a copy. */
    public Tensor mask(String name) {
        return require(masks, name);
    }

    private Tensor require(Map<String, Tensor> map, String name) {
        Tensor t = map.get(name);
        if (t == null) {
            throw new IllegalArgumentException("Masks: no parameter '" + name + "'; masked are " + masks.keySet());
        }
        return t;
    }

    /** Replaces the mask of {@code name} with {@code mask} (same shape; non-zero means kept). Does not apply it. */
    public void set(String name, Tensor mask) {
        Tensor m = mask(name);
        if (!mask.shape().equals(m.shape())) {
            throw new IllegalArgumentException("Masks.set: mask for '" + name + "' has shape " + mask.shape()
                    + " but the parameter has " + m.shape());
        }
        try (var off = Autograd.noGrad(); var scope = MemoryScope.open("mask")) {
            m.copyFrom(mask.ne(Tensor.scalar(0, mask.dtype())).cast(m.dtype()));
        }
    }

    /** Zeroes every pruned weight, in place. */
    public void apply() {
        try (var off = Autograd.noGrad(); var scope = MemoryScope.open("apply masks")) {
            for (var e : params.entrySet()) {
                Tensor p = e.getValue();
                p.copyFrom(masked(p, masks.get(e.getKey())));
            }
        }
    }

    /**
     * Applies the masks now and registers a hook on {@code optimizer} that keeps them through every later step:
     * the gradient of a masked parameter is masked before its update, and the parameter and each of its optimizer
     * state buffers of the same shape are masked after it. So pruned weights are exactly zero after each step,
     * and momentum or Adam moments cannot revive them. Returns the hook (for {@link Optimizer#removeHook}).
     */
    public UpdateHook holdDuring(Optimizer optimizer) {
        apply();
        UpdateHook hook = new UpdateHook() {
            @Override
            public Tensor gradient(int index, Tensor p, Tensor g) {
                Tensor m = byParam.get(p);
                return m == null ? g : g.mul(m);
            }

            @Override
            public void afterUpdate(int index, Tensor p, Optimizer opt) {
                Tensor m = byParam.get(p);
                if (m == null) {
                    return;
                }
                p.copyFrom(masked(p, m));
                for (Tensor s : opt.parameterState(index).values()) {
                    if (s.shape().equals(p.shape())) {
                        s.copyFrom(masked(s, m));
                    }
                }
            }
        };
        optimizer.addHook(hook);
        return hook;
    }

    /** {@code t * mask} with pruned entries +0, not -0 (a negative weight times 0 is -0; adding +0 clears the sign). */
    private static Tensor masked(Tensor t, Tensor mask) {
        return t.mul(mask).add(0.0);
    }

    /** Zeros in the masked parameters, per parameter and overall. */
    public SparsityReport report() {
        return SparsityReport.of(params);
    }
}
