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

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = x;
        for (Module m : layers) {
            h = m.forward(h);
        }
        return h;
    }

    /** The layers, in order. */
    public List<Module> layers() {
        return List.copyOf(layers);
    }
}
