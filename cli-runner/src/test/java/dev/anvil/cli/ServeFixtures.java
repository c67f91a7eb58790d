package dev.anvil.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.anvil.data.ArrayDataset;
import dev.anvil.data.DataLoader;
import dev.anvil.data.FashionMnist;
import dev.anvil.nn.Sequential;
import dev.anvil.optim.Adam;
import dev.anvil.train.Trainer;
import java.nio.file.Path;
import java.util.stream.IntStream;

/** Model packages for the server's tests: the MLP trained briefly on a slice of the embedded Fashion-MNIST subset. */
public final class ServeFixtures {
    private ServeFixtures() {
    }

    /**
     * Trains the MLP for one epoch on {@code examples} embedded examples (seeded, so two seeds give two different
     * models) and saves it as a package at {@code dir}, with input normalisation, as {@code anvil train --out} does.
     */
    public static Path trainedPackage(Path dir, long seed, int examples) {
        ArrayDataset train = FashionMnist.embedded().train();
        train = train.subset(IntStream.range(0, Math.min(examples, train.size())).toArray());
        double[] ms = train.meanStd();
        ArrayDataset normalized = train.normalized(ms[0], ms[1]);
        JsonArray layers = ModelSpec.layers("mlp", 784, 10);
        Sequential model = ModelSpec.build(layers, seed);
        new Trainer(model, new Adam(model.parameters(), 1e-3)).epochs(1).fit(new DataLoader(normalized, 64).shuffle(seed), null);
        model.eval();
        JsonObject training = new JsonObject();
        JsonObject norm = new JsonObject();
        norm.addProperty("mean", ms[0]);
        norm.addProperty("std", ms[1]);
        training.add("normalize", norm);
        training.addProperty("seed", seed);
        SavedModel.save(dir, model, layers, new int[] {1, 28, 28}, FashionMnist.CLASSES, training);
        return dir;
    }
}
