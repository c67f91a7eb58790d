package dev.anvil.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anvil.MemoryScope;
import dev.anvil.Tensor;
import dev.anvil.nn.Losses;
import dev.anvil.nn.Sequential;
import dev.anvil.optim.Adam;
import dev.anvil.optim.AdamW;
import dev.anvil.optim.Optimizer;
import dev.anvil.optim.RmsProp;
import dev.anvil.optim.Sgd;
import dev.anvil.train.Models;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** Masks keep pruned weights, and their optimizer state, at exactly zero through training with every optimizer. */
class MasksTest {
    static Stream<Arguments> optimizers() {
        return Stream.of(
                Arguments.of("sgd", (Function<List<Tensor>, Optimizer>) ps -> new Sgd(ps, 0.05)),
                Arguments.of("sgd momentum + decay", (Function<List<Tensor>, Optimizer>) ps -> new Sgd(ps, 0.05, 0.9, false, 1e-3)),
                Arguments.of("sgd nesterov", (Function<List<Tensor>, Optimizer>) ps -> new Sgd(ps, 0.05, 0.9, true, 0)),
                Arguments.of("adam + L2", (Function<List<Tensor>, Optimizer>) ps -> new Adam(ps, 1e-2, 0.9, 0.999, 1e-8, 1e-3)),
                Arguments.of("adamw", (Function<List<Tensor>, Optimizer>) ps -> new AdamW(ps, 1e-2)),
                Arguments.of("rmsprop momentum", (Function<List<Tensor>, Optimizer>) ps -> new RmsProp(ps, 1e-2, 0.99, 1e-8, 0.9, 1e-3)));
    }

    private static void steps(Sequential model, Optimizer opt, Tensor x, Tensor y, int n) {
        for (int i = 0; i < n; i++) {
            try (var s = MemoryScope.open("step")) {
                opt.zeroGrad();
                Losses.crossEntropy(model.forward(x), y).backward();
                opt.step();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("optimizers")
    void prunedWeightsAndStateStayZeroThroughSteps(String name, Function<List<Tensor>, Optimizer> make) {
        Sequential model = Models.mlp(12, new int[] {16}, 3, 7);
        Tensor x = Tensor.randn(dev.anvil.Shape.of(32, 12), 1);
        Tensor y = Tensor.randint(0, 3, dev.anvil.Shape.of(32), 2);
        Optimizer opt = make.apply(model.parameters());
        steps(model, opt, x, y, 3); // momentum and moments are non-zero everywhere before pruning
        Masks masks = MagnitudePruning.prune(model, 0.6, MagnitudePruning.Scope.LAYER);
        masks.holdDuring(opt);
        float[][] before = new float[masks.names().size()][];
        int k = 0;
        for (String n : masks.names()) {
            before[k++] = masks.parameter(n).toFloatArray();
        }
        steps(model, opt, x, y, 5);
        k = 0;
        List<Tensor> params = opt.parameters();
        for (String n : masks.names()) {
            float[] w = masks.parameter(n).toFloatArray();
            float[] m = masks.mask(n).toFloatArray();
            int pruned = 0;
            int moved = 0;
            for (int i = 0; i < w.length; i++) {
                if (m[i] == 0) {
                    pruned++;
                    assertEquals(0f, w[i], name + ": " + n + "[" + i + "] revived");
                } else if (w[i] != before[k][i]) {
                    moved++;
                }
            }
            assertEquals(Math.round(0.6 * w.length), pruned, n);
            assertTrue(moved > 0, name + ": kept weights of " + n + " must still train");
            int index = indexOf(params, masks.parameter(n));
            for (var st : opt.parameterState(index).entrySet()) {
                float[] s = st.getValue().toFloatArray();
                for (int i = 0; i < s.length; i++) {
                    if (m[i] == 0) {
                        assertEquals(0f, s[i], name + ": state " + st.getKey() + " of " + n + "[" + i + "]");
                    }
                }
            }
            k++;
        }
    }

    private static int indexOf(List<Tensor> params, Tensor p) {
        for (int i = 0; i < params.size(); i++) {
            if (params.get(i) == p) {
                return i;
            }
        }
        throw new AssertionError("parameter not in the optimizer");
    }

    @Test
    void removedHookStopsHolding() {
        Sequential model = Models.mlp(6, new int[] {5}, 2, 3);
        Optimizer opt = new Sgd(model.parameters(), 0.1);
        Masks masks = MagnitudePruning.prune(model, 0.5, MagnitudePruning.Scope.GLOBAL);
        var hook = masks.holdDuring(opt);
        assertTrue(opt.removeHook(hook));
        steps(model, opt, Tensor.randn(dev.anvil.Shape.of(8, 6), 1), Tensor.randint(0, 2, dev.anvil.Shape.of(8), 2), 1);
        assertTrue(masks.report().sparsity() < 0.5, "without the hook plain SGD moves pruned weights");
    }

    @Test
    void setRejectsAWrongShape() {
        Masks masks = Masks.forWeights(Models.mlp(4, new int[] {3}, 2, 1));
        var e = assertThrows(IllegalArgumentException.class, () -> masks.set("1.weight", Tensor.ones(4, 3)));
        assertTrue(e.getMessage().contains("1.weight") && e.getMessage().contains("[3, 4]"), e.getMessage());
        assertEquals(List.of("1.weight", "3.weight"), List.copyOf(masks.names()));
    }
}
