package dev.anvil.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anvil.Autograd;
import dev.anvil.Shape;
import dev.anvil.Tensor;
import dev.anvil.nn.BatchNorm2d;
import dev.anvil.nn.Conv2d;
import dev.anvil.nn.Flatten;
import dev.anvil.nn.LayerNorm;
import dev.anvil.nn.Linear;
import dev.anvil.nn.MaxPool2d;
import dev.anvil.nn.ReLU;
import dev.anvil.nn.Sequential;
import dev.anvil.train.Models;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class StructuredPruningTest {
    private static void zeroRows(Tensor t, int... rows) {
        float[] v = t.toFloatArray();
        int cols = v.length / t.dim(0);
        for (int r : rows) {
            java.util.Arrays.fill(v, r * cols, (r + 1) * cols, 0f);
        }
        try (var off = Autograd.noGrad()) {
            t.copyFrom(Tensor.fromArray(v, t.dims()));
        }
    }

    private static float[] run(Sequential m, Tensor x) {
        try (var off = Autograd.noGrad()) {
            return m.forward(x).toFloatArray();
        }
    }

    @Test
    void removingAlreadyZeroNeuronsKeepsOutputsIdentical() {
        Sequential mlp = Models.mlp(12, new int[] {8, 6}, 3, 11);
        Linear h1 = (Linear) mlp.layers().get(1);
        Linear h2 = (Linear) mlp.layers().get(3);
        zeroRows(h1.weight(), 0, 3, 5, 6);
        zeroRows(h1.bias().reshape(8, 1), 0, 3, 5, 6);
        zeroRows(h2.weight(), 1, 4, 5);
        zeroRows(h2.bias().reshape(6, 1), 1, 4, 5);
        Tensor x = Tensor.randn(Shape.of(5, 12), 3);
        float[] before = run(mlp, x);
        StructuredPruning.Result r = StructuredPruning.prune(mlp, 0.5, StructuredPruning.Norm.L1);
        assertArrayEquals(new int[] {1, 2, 4, 7}, r.kept().get(1));
        assertArrayEquals(new int[] {0, 2, 3}, r.kept().get(3));
        assertEquals(2, r.kept().size(), "the output layer is never pruned");
        Linear n1 = (Linear) r.model().layers().get(1);
        Linear n2 = (Linear) r.model().layers().get(3);
        Linear n3 = (Linear) r.model().layers().get(5);
        assertEquals(Shape.of(4, 12), n1.weight().shape());
        assertEquals(Shape.of(3, 4), n2.weight().shape());
        assertEquals(Shape.of(3, 3), n3.weight().shape());
        assertArrayEquals(before, run(r.model(), x), 1e-6f);
        assertTrue(r.model().parameterCount() < mlp.parameterCount());
    }

    @Test
    void l1AndL2RankDifferently() {
        Sequential m = new Sequential(new Linear(3, 2, new SplittableRandom(1)), new ReLU(), new Linear(2, 1, new SplittableRandom(2)));
        Linear l = (Linear) m.layers().get(0);
        try (var off = Autograd.noGrad()) {
            l.weight().copyFrom(Tensor.fromArray(new float[] {1, 1, 1, 0, 0, 2}, 2, 3)); // L1: 3 vs 2; L2: 1.73 vs 2
        }
        assertArrayEquals(new int[] {0}, StructuredPruning.prune(m, 0.5, StructuredPruning.Norm.L1).kept().get(0));
        assertArrayEquals(new int[] {1}, StructuredPruning.prune(m, 0.5, StructuredPruning.Norm.L2).kept().get(0));
    }

    @Test
    void convFiltersThroughBatchNormPoolAndFlattenCutTheNextLinear() {
        SplittableRandom rng = new SplittableRandom(4);
        Conv2d conv = new Conv2d(1, 4, 3, 1, 1, rng);
        BatchNorm2d bn = new BatchNorm2d(4);
        Sequential m = new Sequential(conv, bn, new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(4 * 2 * 2, 3, rng));
        zeroRows(conv.weight(), 1, 3);
        zeroRows(conv.bias().reshape(4, 1), 1, 3);
        try (var off = Autograd.noGrad()) {
            bn.runningMean().copyFrom(Tensor.fromArray(new float[] {0.2f, 0f, -0.1f, 0f}));
            bn.runningVar().copyFrom(Tensor.fromArray(new float[] {1.5f, 2f, 0.5f, 3f}));
            bn.weight().copyFrom(Tensor.fromArray(new float[] {1.1f, 0.7f, 0.9f, 1.3f}));
            bn.bias().copyFrom(Tensor.fromArray(new float[] {0.1f, 0f, -0.2f, 0f}));
        }
        m.eval();
        Tensor x = Tensor.randn(Shape.of(2, 1, 4, 4), 9);
        float[] before = run(m, x);
        StructuredPruning.Result r = StructuredPruning.prune(m, 0.5, StructuredPruning.Norm.L2);
        assertArrayEquals(new int[] {0, 2}, r.kept().get(0));
        BatchNorm2d nbn = (BatchNorm2d) r.model().layers().get(1);
        assertArrayEquals(new float[] {0.2f, -0.1f}, nbn.runningMean().toFloatArray());
        assertArrayEquals(new float[] {1.5f, 0.5f}, nbn.runningVar().toFloatArray());
        assertEquals(Shape.of(3, 8), ((Linear) r.model().layers().get(5)).weight().shape());
        assertArrayEquals(before, run(r.model(), x), 1e-5f);
    }

    @Test
    void refusesAModelWithNothingToPrune() {
        SplittableRandom rng = new SplittableRandom(1);
        Sequential m = new Sequential(new Linear(4, 4, rng), new LayerNorm(4), new Linear(4, 2, rng));
        var e = assertThrows(IllegalArgumentException.class, () -> StructuredPruning.prune(m, 0.5, StructuredPruning.Norm.L1));
        assertTrue(e.getMessage().contains("no layer to prune"), e.getMessage());
    }
}
