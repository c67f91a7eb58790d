package dev.anvil.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anvil.MemoryScope;
import dev.anvil.Shape;
import dev.anvil.Tensor;
import dev.anvil.nn.Losses;
import dev.anvil.nn.Sequential;
import dev.anvil.optim.Adam;
import dev.anvil.optim.Optimizer;
import dev.anvil.train.Models;
import org.junit.jupiter.api.Test;

class GradualPruningTest {
    @Test
    void scheduleIsZhuGuptaCubic() {
        PolynomialSchedule s = new PolynomialSchedule(0.1, 0.9, 10, 100, 10);
        assertEquals(0.1, s.sparsityAt(0), 1e-12);
        assertEquals(0.1, s.sparsityAt(10), 1e-12);
        assertEquals(0.9 - 0.8 * 0.125, s.sparsityAt(60), 1e-12);       // half-way: (1 - 0.5)^3
        assertEquals(0.9, s.sparsityAt(110), 1e-12);
        assertEquals(0.9, s.sparsityAt(5000), 1e-12);
        assertTrue(s.updatesAt(10) && s.updatesAt(20) && s.updatesAt(110));
        assertFalse(s.updatesAt(15) || s.updatesAt(120) || s.updatesAt(0));
        assertTrue(new PolynomialSchedule(0, 0.5, 0, 25, 10).updatesAt(25), "the end of the ramp always updates");
        assertThrows(IllegalArgumentException.class, () -> new PolynomialSchedule(0.5, 0.4, 0, 10, 1));
        assertThrows(IllegalArgumentException.class, () -> new PolynomialSchedule(0, 0.4, 0, 0, 1));
    }

    @Test
    void sparsityRisesMonotonicallyToTheTargetWhileTraining() {
        Sequential model = Models.mlp(10, new int[] {20}, 4, 5);
        Optimizer opt = new Adam(model.parameters(), 1e-2);
        Masks masks = Masks.forWeights(model);
        GradualPruning g = GradualPruning.attach(masks, new PolynomialSchedule(0, 0.8, 2, 12, 3),
                MagnitudePruning.Scope.GLOBAL, opt);
        Tensor x = Tensor.randn(Shape.of(16, 10), 1);
        Tensor y = Tensor.randint(0, 4, Shape.of(16), 2);
        double last = 0;
        for (int i = 0; i < 16; i++) {
            try (var s = MemoryScope.open("step")) {
                opt.zeroGrad();
                Losses.crossEntropy(model.forward(x), y).backward();
                opt.step();
            }
            double now = masks.report().sparsity();
            assertTrue(now >= last, "step " + i + ": sparsity fell from " + last + " to " + now);
            assertEquals(now, SparsityReport.of(model).sparsity(), 1e-12, "the masks hold in the model");
            last = now;
        }
        assertEquals(0.8, g.currentSparsity(), 1e-12);
        assertEquals(Math.round(0.8 * (10 * 20 + 20 * 4)), masks.report().zeros());
    }

    @Test
    void finishRaisesToTheTarget() {
        Sequential model = Models.mlp(10, new int[] {20}, 4, 5);
        Optimizer opt = new Adam(model.parameters(), 1e-2);
        Masks masks = Masks.forWeights(model);
        GradualPruning g = GradualPruning.attach(masks, new PolynomialSchedule(0, 0.5, 0, 1000, 100),
                MagnitudePruning.Scope.LAYER, opt);
        g.finish();
        assertEquals(0.5, masks.report().sparsity(), 1e-12);
    }
}
