package dev.anvil.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anvil.Backends;
import dev.anvil.DType;
import dev.anvil.MemoryScope;
import dev.anvil.Shape;
import dev.anvil.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ModuleTest {
    private Backends.Using using;

    @BeforeEach
    void open() {
        using = Backends.use("reference");
    }

    @AfterEach
    void close() {
        using.close();
    }

    private static Sequential cnn(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        return new Sequential(new Conv2d(1, 4, 3, 1, 1, r), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Linear(4 * 4 * 4, 10, r));
    }

    @Test
    void stateDictIsOrderedAndRoundTrips() {
        Sequential a = cnn(1);
        assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "5.weight", "5.bias"),
                List.copyOf(a.stateDict().keySet()));
        assertEquals(6, a.parameters().size());
        Sequential b = cnn(2);
        assertNotEquals(a.stateDict().get("5.weight").toFloatArray()[0], b.stateDict().get("5.weight").toFloatArray()[0]);
        b.loadStateDict(a.stateDict());
        Tensor x = Tensor.randn(Shape.of(2, 1, 8, 8), 3);
        a.eval();
        b.eval();
        assertArrayEquals(a.forward(x).toFloatArray(), b.forward(x).toFloatArray());
        var e = assertThrows(IllegalArgumentException.class, () -> new Sequential(new Linear(3, 2, new SplittableRandom(1)))
                .loadStateDict(a.stateDict()));
        assertTrue(e.getMessage().contains("unexpected entry"), e.getMessage());
    }

    @Test
    void namedWeightsAreParametersAndFrozenWeightsNotBookkeeping() {
        Sequential m = new Sequential(new Linear(4, 3, new SplittableRandom(1)), new BatchNorm1d(3),
                dev.anvil.quantize.QuantizedLinear.of(new Linear(3, 2, new SplittableRandom(2)), 0.1f));
        assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias"), List.copyOf(m.namedWeights().keySet()));
        assertTrue(m.stateDict().containsKey("1.running_mean") && m.stateDict().containsKey("2.weight_scale"));
        assertEquals(DType.I8, m.namedWeights().get("2.weight").dtype());
    }

    @Test
    void seededInitialisationIsReproducibleAndScaled() {
        Linear l1 = new Linear(100, 50, new SplittableRandom(7));
        Linear l2 = new Linear(100, 50, new SplittableRandom(7));
        assertArrayEquals(l1.weight().toFloatArray(), l2.weight().toFloatArray());
        float max = l1.weight().abs().max().toFloatArray()[0];
        assertTrue(max <= 0.1f && max > 0.09f, "bound 1/sqrt(100): " + max);
        Tensor k = Init.kaimingNormal(Shape.of(10000), 50, new SplittableRandom(1));
        assertEquals(Math.sqrt(2.0 / 50), Math.sqrt(k.var().item()), 0.005);
    }

    @Test
    void layersProduceTheRightShapesAndModes() {
        SplittableRandom r = new SplittableRandom(1);
        Tensor img = Tensor.randn(Shape.of(2, 3, 9, 9), 1);
        assertEquals(Shape.of(2, 5, 5, 5), new Conv2d(3, 5, 3, 2, 1, r).forward(img).shape());
        assertEquals(Shape.of(2, 3, 4, 4), new MaxPool2d(2).forward(img).shape());
        assertEquals(Shape.of(2, 3, 3, 3), new AvgPool2d(3).forward(img).shape());
        assertEquals(Shape.of(2, 243), new Flatten().forward(img).shape());
        assertEquals(Shape.of(2, 3, 9, 9), new LayerNorm(9, 9).forward(img).shape());
        Tensor idx = Tensor.fromArray(new long[] {1, 0, 3, 3}, 2, 2);
        assertEquals(Shape.of(2, 2, 6), new Embedding(4, 6, r).forward(idx).shape());
        Dropout d = new Dropout(0.5, new SplittableRandom(3));
        Tensor ones = Tensor.ones(1000);
        double kept = d.forward(ones).sum().item();
        assertTrue(kept > 800 && kept < 1200, "dropout keeps about half, scaled by 2: " + kept);
        d.eval();
        assertEquals(1000.0, d.forward(ones).sum().item());
        var e = assertThrows(IllegalArgumentException.class, () -> new Linear(4, 2, r).forward(Tensor.zeros(3, 5)));
        assertTrue(e.getMessage().contains("[3, 5]"), e.getMessage());
    }

    @Test
    void convMatchesADirectConvolution() {
        SplittableRandom r = new SplittableRandom(5);
        Conv2d conv = new Conv2d(2, 3, 3, 1, 1, r);
        Tensor x = Tensor.randn(Shape.of(1, 2, 4, 5), 2);
        float[] y = conv.forward(x).toFloatArray();
        float[] w = conv.weight().toFloatArray();
        float[] b = conv.bias().toFloatArray();
        float[] xv = x.toFloatArray();
        for (int o = 0; o < 3; o++) {
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 5; j++) {
                    double s = b[o];
                    for (int c = 0; c < 2; c++) {
                        for (int ki = 0; ki < 3; ki++) {
                            for (int kj = 0; kj < 3; kj++) {
                                int ii = i + ki - 1;
                                int jj = j + kj - 1;
                                if (ii >= 0 && ii < 4 && jj >= 0 && jj < 5) {
                                    s += w[((o * 2 + c) * 3 + ki) * 3 + kj] * xv[(c * 4 + ii) * 5 + jj];
                                }
                            }
                        }
                    }
                    assertEquals(s, y[(o * 4 + i) * 5 + j], 1e-5);
                }
            }
        }
    }

    @Test
    void batchNormUsesBatchStatisticsInTrainingAndRunningOnesInEval() {
        BatchNorm1d bn = new BatchNorm1d(2);
        Tensor x = Tensor.fromArray(new float[] {1, 10, 3, 20, 5, 30}, 3, 2);
        Tensor y = bn.forward(x);
        assertArrayEquals(new float[] {0, 0}, y.mean(0).toFloatArray(), 1e-6f);
        assertArrayEquals(new float[] {0.3f, 2f}, bn.runningMean().toFloatArray(), 1e-6f);
        // unbiased variance of [1,3,5] is 4: 0.9 * 1 + 0.1 * 4
        assertArrayEquals(new float[] {1.3f, 0.9f + 0.1f * 100f}, bn.runningVar().toFloatArray(), 1e-5f);
        bn.eval();
        float[] e = bn.forward(Tensor.fromArray(new float[] {0.3f, 2f}, 1, 2)).toFloatArray();
        assertArrayEquals(new float[] {0, 0}, e, 1e-6f);
    }

    @Test
    void lossesGiveKnownValues() {
        Tensor logits = Tensor.fromArray(new float[] {2, 0, 0, 0, 3, 0}, 2, 3);
        Tensor labels = Tensor.fromArray(new long[] {0, 2});
        double l0 = -Math.log(Math.exp(2) / (Math.exp(2) + 2));
        double l1 = -Math.log(1 / (Math.exp(3) + 2));
        assertEquals((l0 + l1) / 2, Losses.crossEntropy(logits, labels).item(), 1e-6);
        Tensor cw = Tensor.fromArray(new float[] {1, 1, 3});
        assertEquals((l0 + 3 * l1) / 4, Losses.crossEntropy(logits, labels, 0, cw).item(), 1e-6);
        double lp0 = Math.log(1 / (Math.exp(2) + 2)) * 2 + (2 - Math.log(Math.exp(2) + 2));
        double smooth0 = -lp0 / 3;
        double lp1 = Math.log(1 / (Math.exp(3) + 2)) * 2 + (3 - Math.log(Math.exp(3) + 2));
        double smooth1 = -lp1 / 3;
        assertEquals((0.9 * l0 + 0.1 * smooth0 + 0.9 * l1 + 0.1 * smooth1) / 2,
                Losses.crossEntropy(logits, labels, 0.1, null).item(), 1e-6);
        assertEquals(2.5, Losses.mse(Tensor.fromArray(new float[] {1, 2}), Tensor.fromArray(new float[] {2, 4})).item(), 1e-6);
        double bce = (Math.log(1 + Math.exp(-1000.0 * 0)) + Math.log(1 + Math.exp(-2)) ) / 2;
        assertEquals(bce, Losses.binaryCrossEntropyWithLogits(Tensor.fromArray(new float[] {0, 2}),
                Tensor.fromArray(new float[] {1, 1})).item(), 1e-6);
        assertTrue(Double.isFinite(Losses.binaryCrossEntropyWithLogits(Tensor.fromArray(new float[] {-1000, 1000}),
                Tensor.fromArray(new float[] {1, 0})).item()));
        Tensor p = Tensor.fromArray(new float[] {0.5f, 0.5f, 1, 0}, 2, 2);
        Tensor q = Tensor.fromArray(new float[] {0.25f, 0.75f, 0.5f, 0.5f}, 2, 2).log();
        double kl = (0.5 * Math.log(0.5 / 0.25) + 0.5 * Math.log(0.5 / 0.75) + Math.log(1 / 0.5)) / 2;
        assertEquals(kl, Losses.klDivergence(q, p).item(), 1e-6);
    }

    @Test
    void aSmallMlpLearnsXorWithAdamInScopedSteps() {
        SplittableRandom r = new SplittableRandom(0);
        Sequential mlp = new Sequential(new Linear(2, 16, r), new Tanh(), new Linear(16, 2, r));
        Tensor x = Tensor.fromArray(new float[] {0, 0, 0, 1, 1, 0, 1, 1}, 4, 2);
        Tensor y = Tensor.fromArray(new long[] {0, 1, 1, 0});
        var opt = new dev.anvil.optim.Adam(mlp.parameters(), 0.05);
        long live = 0;
        for (int step = 0; step < 300; step++) {
            try (MemoryScope s = MemoryScope.open("step")) {
                opt.zeroGrad();
                Losses.crossEntropy(mlp.forward(x), y).backward();
                opt.step();
            }
            if (step == 10) {
                live = Backends.current().memory().liveBytes();
            }
        }
        // other tests' root-scope tensors may be collected meanwhile, so live bytes can only fall
        assertTrue(Backends.current().memory().liveBytes() <= live, "native memory is flat across steps");
        assertArrayEquals(new long[] {0, 1, 1, 0}, mlp.forward(x).argmax(1).toLongArray());
        assertEquals(DType.F32, mlp.forward(x).dtype());
    }
}
