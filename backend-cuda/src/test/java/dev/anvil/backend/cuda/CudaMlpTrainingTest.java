package dev.anvil.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anvil.Backends;
import dev.anvil.data.ArrayDataset;
import dev.anvil.data.DataLoader;
import dev.anvil.data.FashionMnist;
import dev.anvil.nn.Sequential;
import dev.anvil.optim.Adam;
import dev.anvil.train.Models;
import dev.anvil.train.Trainer;
import org.junit.jupiter.api.Test;

/**
 * The training recipe (MLP, Adam 1e-3, batch 128) on cuda and on the reference backend from the same seed:
 * the loss curves and test accuracies must agree within tolerance (the GPU sums in another order).
 */
class CudaMlpTrainingTest {

    private static Trainer.Result train(String backend, ArrayDataset trainSet, ArrayDataset testSet) {
        try (var u = Backends.use(backend)) {
            Sequential mlp = Models.mlp(784, new int[] {256, 128}, 10, 7);
            Trainer t = new Trainer(mlp, new Adam(mlp.parameters(), 1e-3)).epochs(3);
            return t.fit(new DataLoader(trainSet, 128).shuffle(7), testSet);
        }
    }

    @Test
    void mlpLossCurveMatchesTheCpu() {
        Gpu.assumeAvailable("MLP training");
        FashionMnist.Split data = FashionMnist.embedded();
        int[] idx = new int[1024];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i * 5;
        }
        ArrayDataset train = data.train().subset(idx);
        Trainer.Result gpu = train(CudaBackend.NAME, train, data.test());
        Trainer.Result cpu = train("reference", train, data.test());
        for (int e = 0; e < 3; e++) {
            double a = gpu.epochs().get(e).loss();
            double b = cpu.epochs().get(e).loss();
            System.out.printf("[backend-cuda] MLP epoch %d: loss cuda %.6f reference %.6f, test accuracy %.4f vs %.4f%n", e + 1,
                    a, b, gpu.epochs().get(e).testAccuracy(), cpu.epochs().get(e).testAccuracy());
            assertEquals(b, a, 2e-3 * Math.max(1, Math.abs(b)), "epoch " + (e + 1) + " loss");
        }
        assertEquals(cpu.last().testAccuracy(), gpu.last().testAccuracy(), 0.01);
        assertTrue(gpu.last().testAccuracy() > 0.6, "the GPU run learns: " + gpu.last().testAccuracy());
    }
}
