package dev.anvil.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.anvil.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MagnitudePruningTest {
    private static Tensor param(float... v) {
        return Tensor.fromArray(v, 2, v.length / 2).requiresGrad(true);
    }

    private static Masks twoLayers() {
        Map<String, Tensor> p = new LinkedHashMap<>();
        p.put("a", param(0.1f, -0.9f, 0.3f, 0.05f));        // small weights
        p.put("b", param(2f, -1.5f, 0.2f, 3f, -0.4f, 1f));  // large weights
        return Masks.of(p);
    }

    @Test
    void globalThresholdPrunesTheSmallestAcrossLayers() {
        Masks m = twoLayers();
        MagnitudePruning.toSparsity(m, 0.5, MagnitudePruning.Scope.GLOBAL); // 5 of 10: 0.05, 0.1, 0.2, 0.3, 0.4
        assertArrayEquals(new float[] {0, -0.9f, 0, 0}, m.parameter("a").toFloatArray());
        assertArrayEquals(new float[] {2f, -1.5f, 0, 3f, 0, 1f}, m.parameter("b").toFloatArray());
        SparsityReport r = m.report();
        assertEquals(5, r.zeros());
        assertEquals(0.75, r.tensors().get(0).sparsity(), 1e-12);
        assertEquals(2 / 6.0, r.tensors().get(1).sparsity(), 1e-12);
    }

    @Test
    void perLayerPrunesTheFractionOfEachLayer() {
        Masks m = twoLayers();
        MagnitudePruning.toSparsity(m, 0.5, MagnitudePruning.Scope.LAYER);
        assertArrayEquals(new float[] {0, -0.9f, 0.3f, 0}, m.parameter("a").toFloatArray());
        assertArrayEquals(new float[] {2f, -1.5f, 0, 3f, 0, 0}, m.parameter("b").toFloatArray()); // ties: 1 and -1.5? no: 0.2, 0.4, 1
    }

    @Test
    void exactCountWithTiesTakesTheEarliest() {
        Masks m = Masks.of(Map.of("w", param(1, 1, 1, 1, 1, 1)));
        MagnitudePruning.toSparsity(m, 0.5, MagnitudePruning.Scope.GLOBAL);
        assertArrayEquals(new float[] {0, 0, 0, 1, 1, 1}, m.parameter("w").toFloatArray());
    }

    @Test
    void globalCountOnRandomWeightsIsExactAndThresholdSeparates() {
        Map<String, Tensor> p = new LinkedHashMap<>();
        p.put("x", Tensor.randn(dev.anvil.Shape.of(30, 20), 1).mul(0.1).requiresGrad(true));
        p.put("y", Tensor.randn(dev.anvil.Shape.of(17, 9), 2).requiresGrad(true));
        float[] x0 = p.get("x").toFloatArray();
        float[] y0 = p.get("y").toFloatArray();
        Masks m = Masks.of(p);
        MagnitudePruning.toSparsity(m, 0.7, MagnitudePruning.Scope.GLOBAL);
        long total = 600 + 153;
        assertEquals(Math.round(0.7 * total), m.report().zeros());
        // every pruned magnitude is <= every kept magnitude, across both layers
        float maxPruned = 0;
        float minKept = Float.MAX_VALUE;
        float[][] orig = {x0, y0};
        String[] names = {"x", "y"};
        for (int l = 0; l < 2; l++) {
            float[] mask = m.mask(names[l]).toFloatArray();
            for (int i = 0; i < mask.length; i++) {
                if (mask[i] == 0) {
                    maxPruned = Math.max(maxPruned, Math.abs(orig[l][i]));
                } else {
                    minKept = Math.min(minKept, Math.abs(orig[l][i]));
                }
            }
        }
        assertEquals(true, maxPruned <= minKept, maxPruned + " > " + minKept);
    }

    @Test
    void raisingSparsityKeepsEarlierPrunedWeightsPruned() {
        Masks m = twoLayers();
        MagnitudePruning.toSparsity(m, 0.3, MagnitudePruning.Scope.GLOBAL);
        float[] first = m.mask("b").toFloatArray();
        try (var off = dev.anvil.Autograd.noGrad()) { // revive the pruned weight behind the masks' back
            m.parameter("b").copyFrom(Tensor.fromArray(new float[] {2f, -1.5f, 5f, 3f, 5f, 1f}, 2, 3));
        }
        MagnitudePruning.toSparsity(m, 0.4, MagnitudePruning.Scope.GLOBAL);
        float[] second = m.mask("b").toFloatArray();
        for (int i = 0; i < first.length; i++) {
            if (first[i] == 0) {
                assertEquals(0f, second[i], "index " + i);
            }
        }
        assertEquals(4, m.report().zeros());
    }

    @Test
    void thresholdPrunesBelowIt() {
        Masks m = twoLayers();
        MagnitudePruning.toThreshold(m, 0.35);
        assertEquals(4, m.report().zeros()); // 0.1, 0.3, 0.05, 0.2
    }

    @Test
    void rejectsBadSparsity() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> MagnitudePruning.toSparsity(twoLayers(), 1.5, MagnitudePruning.Scope.LAYER));
        assertEquals("sparsity must be a fraction in [0, 1], got 1.5", e.getMessage());
    }
}
