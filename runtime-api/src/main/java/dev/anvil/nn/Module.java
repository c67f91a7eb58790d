package dev.anvil.nn;

import dev.anvil.Autograd;
import dev.anvil.MemoryScope;
import dev.anvil.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A layer or a model: ordered named parameters (trained), buffers (state that is not trained, such as
 * BatchNorm's running statistics) and child modules, with train/eval modes. Parameters and buffers live
 * outside every {@link MemoryScope} (the model's own long-lived memory), so a training loop can open one
 * scope per step.
 *
 * <pre>{@code
 * Module mlp = new Sequential(new Linear(784, 256, rng), new ReLU(), new Linear(256, 10, rng));
 * Tensor logits = mlp.forward(x);
 * Map<String, Tensor> state = mlp.stateDict();   // "0.weight", "0.bias", "2.weight", ...
 * }</pre>
 */
public abstract class Module {
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private final java.util.Set<String> frozen = new java.util.HashSet<>();
    private boolean training = true;

    /** Computes this module's output. */
    public abstract Tensor forward(Tensor input);

    /** Registers a trained parameter (copied to long-lived memory, gradient on). */
    protected final Tensor parameter(String name, Tensor initial) {
        Tensor p = MemoryScope.atRoot(() -> {
            try (var off = Autograd.noGrad()) {
                return initial.copy();
            }
        }).requiresGrad(true);
        parameters.put(name, p);
        return p;
    }

    /** Registers a buffer: saved in the state dict, not trained. */
    protected final Tensor buffer(String name, Tensor initial) {
        Tensor b = MemoryScope.atRoot(initial::copy);
        buffers.put(name, b);
        return b;
    }

    /**
     * Registers a buffer that holds weights the module computes with but does not train (the int8 weights and
     * the bias of a quantized layer): saved in the state dict like any buffer, and counted by {@link #namedWeights}.
     */
    protected final Tensor frozenWeight(String name, Tensor initial) {
        Tensor b = buffer(name, initial);
        frozen.add(name);
        return b;
    }

    /** Registers a child module under {@code name}. */
    protected final <M extends Module> M child(String name, M module) {
        children.put(name, module);
        return module;
    }

    /** Parameters of this module and its children, in registration order, named {@code child.param}. */
    public final Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out, false);
        return out;
    }

    /**
     * The weights the model computes with, by name: its parameters and its {@linkplain #frozenWeight frozen
     * weights}, not running statistics, quantization scales or other bookkeeping buffers. What {@code anvil
     * inspect}, {@code prune} and {@code quantize} count as the model's parameters, so an int8 model counts as many
     * as the F32 model it came from.
     */
    public final Map<String, Tensor> namedWeights() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collectWeights("", out);
        return out;
    }

    private void collectWeights(String prefix, Map<String, Tensor> out) {
        for (var e : parameters.entrySet()) {
            out.put(prefix + e.getKey(), e.getValue());
        }
        for (var e : buffers.entrySet()) {
            if (frozen.contains(e.getKey())) {
                out.put(prefix + e.getKey(), e.getValue());
            }
        }
        for (var e : children.entrySet()) {
            e.getValue().collectWeights(prefix + e.getKey() + ".", out);
        }
    }

    /** All parameters, in order. */
    public final List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** Parameters and buffers by name, in order: what a checkpoint saves. */
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out, true);
        return Collections.unmodifiableMap(out);
    }

    private void collect(String prefix, Map<String, Tensor> out, boolean withBuffers) {
        for (var e : parameters.entrySet()) {
            out.put(prefix + e.getKey(), e.getValue());
        }
        if (withBuffers) {
            for (var e : buffers.entrySet()) {
                out.put(prefix + e.getKey(), e.getValue());
            }
        }
        for (var e : children.entrySet()) {
            e.getValue().collect(prefix + e.getKey() + ".", out, withBuffers);
        }
    }

    /**
     * Copies values into this module's parameters and buffers. Every name must exist with the same shape;
     * missing or unexpected names, and shape mismatches, are errors naming the entry.
     */
    public final void loadStateDict(Map<String, Tensor> state) {
        Map<String, Tensor> mine = stateDict();
        for (String name : state.keySet()) {
            if (!mine.containsKey(name)) {
                throw new IllegalArgumentException("loadStateDict: unexpected entry '" + name + "'; this model has "
                        + mine.keySet());
            }
        }
        for (var e : mine.entrySet()) {
            Tensor src = state.get(e.getKey());
            if (src == null) {
                throw new IllegalArgumentException("loadStateDict: missing entry '" + e.getKey() + "'");
            }
            if (!src.shape().equals(e.getValue().shape())) {
                throw new IllegalArgumentException("loadStateDict: '" + e.getKey() + "' has shape " + src.shape()
                        + " but the model expects " + e.getValue().shape());
            }
            try (var off = Autograd.noGrad()) {
                e.getValue().copyFrom(src);
            }
        }
        notifyStateLoaded();
    }

    /**
     * Called on this module and its children after {@link #loadStateDict} replaced their values: modules that
     * keep data derived from their tensors (packed weights, for example) drop it here.
     */
    protected void stateLoaded() {
    }

    private void notifyStateLoaded() {
        stateLoaded();
        for (Module m : children.values()) {
            m.notifyStateLoaded();
        }
    }

    /** Child modules in order. */
    public final Map<String, Module> children() {
        return Collections.unmodifiableMap(children);
    }

    /** Training mode (dropout active, batch statistics); returns this. */
    public final Module train() {
        setTraining(true);
        return this;
    }

    /** Evaluation mode (no dropout, running statistics); returns this. */
    public final Module eval() {
        setTraining(false);
        return this;
    }

    private void setTraining(boolean on) {
        training = on;
        for (Module m : children.values()) {
            m.setTraining(on);
        }
    }

    /** True in training mode. */
    public final boolean isTraining() {
        return training;
    }

    /** Sets every parameter's gradient to zero. */
    public final void zeroGrad() {
        for (Tensor p : parameters()) {
            p.zeroGrad();
        }
    }

    /** Number of trained scalars. */
    public final long parameterCount() {
        long n = 0;
        for (Tensor p : parameters()) {
            n += p.numel();
        }
        return n;
    }
}
