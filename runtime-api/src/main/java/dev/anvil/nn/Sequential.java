package dev.anvil.nn;

import dev.anvil.Tensor;
import java.util.ArrayList;
import java.util.List;

/** Modules applied in order; children are named "0", "1", ... as in PyTorch. */
public final class Sequential extends Module {
    private final List<Module> layers = new ArrayList<>();

    public Sequential(Module... layers) {
        this(List.of(layers));
    }

    public Sequential(List<Module> layers) {
        for (Module m : layers) {
            this.layers.add(child(Integer.toString(this.layers.size()), m));
        }
    }

    /**
     * Applies the layers in order. A {@link Conv2d} directly followed by a {@link ReLU} (and a {@link MaxPool2d})
     * runs as one fused step ({@link Tensor#conv2dRelu}, {@link Tensor#conv2dReluMaxPool}: the same values and
     * gradients in fewer passes over the activation).
     */
    @Override
    public Tensor forward(Tensor x) {
        Tensor h = x;
        for (int i = 0; i < layers.size(); i++) {
            Module m = layers.get(i);
            if (m instanceof Conv2d conv && i + 1 < layers.size() && layers.get(i + 1) instanceof ReLU) {
                if (i + 2 < layers.size() && layers.get(i + 2) instanceof MaxPool2d pool) {
                    h = conv.forwardReluMaxPool(h, pool);
                    i += 2;
                } else {
                    h = conv.forwardRelu(h);
                    i++;
                }
            } else {
                h = m.forward(h);
            }
        }
        return h;
    }

    /** The layers, in order. */
    public List<Module> layers() {
        return List.copyOf(layers);
    }
}
