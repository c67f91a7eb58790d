package dev.anvil.train;

import dev.anvil.nn.Conv2d;
import dev.anvil.nn.Flatten;
import dev.anvil.nn.Linear;
import dev.anvil.nn.MaxPool2d;
import dev.anvil.nn.Module;
import dev.anvil.nn.ReLU;
import dev.anvil.nn.Sequential;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** The standard architectures of {@code anvil train}, seeded. */
public final class Models {
    private Models() {
    }

    /** Flatten, then Linear + ReLU for each hidden size, then a Linear to {@code classes}. */
    public static Sequential mlp(int inputs, int[] hidden, int classes, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<Module> layers = new ArrayList<>();
        layers.add(new Flatten());
        int in = inputs;
        for (int h : hidden) {
            layers.add(new Linear(in, h, rng));
            layers.add(new ReLU());
            in = h;
        }
        layers.add(new Linear(in, classes, rng));
        return new Sequential(layers);
    }

    /** conv 3x3 32, ReLU, max-pool 2, conv 3x3 64, ReLU, max-pool 2, dense 128, ReLU, dense {@code classes} (28x28x1 input). */
    public static Sequential cnn(int classes, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        return new Sequential(
                new Conv2d(1, 32, 3, 1, 1, rng), new ReLU(), new MaxPool2d(2),
                new Conv2d(32, 64, 3, 1, 1, rng), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Linear(64 * 7 * 7, 128, rng), new ReLU(), new Linear(128, classes, rng));
    }
}
