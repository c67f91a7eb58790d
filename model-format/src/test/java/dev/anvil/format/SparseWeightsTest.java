package dev.anvil.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anvil.DType;
import dev.anvil.Shape;
import dev.anvil.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SparseWeightsTest {
    @TempDir
    Path tmp;

    /** A [rows, cols] F32 tensor with about {@code sparsity} of its elements zero (and some of them -0). */
    private static Tensor pruned(int rows, int cols, double sparsity, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextDouble() < sparsity ? (i % 2 == 0 ? 0f : -0f) : (float) r.nextGaussian();
        }
        return Tensor.fromArray(v, rows, cols);
    }

    private Map<String, Tensor> weights() {
        Map<String, Tensor> w = new LinkedHashMap<>();
        w.put("0.weight", pruned(64, 100, 0.9, 1));       // bitmask
        w.put("0.bias", Tensor.randn(Shape.of(64), 2));    // dense
        w.put("1.weight", pruned(10, 64, 0.99, 3));        // CSR
        w.put("1.bias", Tensor.zeros(10));                 // all zero: CSR with no entries
        w.put("conv", pruned(4, 3 * 3 * 3, 0.7, 4).reshape(4, 3, 3, 3));
        w.put("steps", Tensor.scalar(7, DType.I64));       // not F32: as it is
        return w;
    }

    @Test
    void roundTripsEveryLayoutToTheSameDenseValuesInOrder() throws IOException {
        Map<String, Tensor> w = weights();
        Path f = tmp.resolve("w.safetensors");
        SparseWeights.write(f, w);
        try (SafetensorsFile file = Safetensors.open(f)) {
            String index = file.metadata().get(SparseWeights.METADATA_KEY);
            assertTrue(index.contains("\"0.weight\":{\"layout\":\"bitmask\",\"shape\":[64,100]}"), index);
            assertTrue(index.contains("\"1.weight\":{\"layout\":\"csr\""), index);
            assertEquals(DType.I16, file.dtype("1.weight.indices"));
            assertTrue(file.names().contains("0.bias") && !file.names().contains("0.weight"));
            Map<String, Tensor> back = SparseWeights.decode(file);
            assertEquals(List.copyOf(w.keySet()), List.copyOf(back.keySet()));
            for (var e : w.entrySet()) {
                Tensor b = back.get(e.getKey());
                assertEquals(e.getValue().shape(), b.shape(), e.getKey());
                assertEquals(e.getValue().dtype(), b.dtype(), e.getKey());
                assertArrayEquals(e.getValue().toDoubleArray(), b.toDoubleArray(), 0.0, e.getKey());
            }
        }
    }

    @Test
    void fileShrinksWithSparsityAndChoosesTheSmallestLayout() throws IOException {
        long dense = 0;
        long[] sizes = new long[3];
        double[] sparsity = {0.0, 0.9, 0.99};
        for (int i = 0; i < 3; i++) {
            Path f = tmp.resolve("s" + i);
            SparseWeights.write(f, Map.of("w", pruned(256, 784, sparsity[i], 5)));
            sizes[i] = Files.size(f);
            if (i == 0) {
                dense = sizes[i];
            }
        }
        assertTrue(dense >= 4L * 256 * 784, "dense stays dense: " + dense);
        assertTrue(sizes[1] * 4 < dense, "90% sparse is over 4x smaller: " + sizes[1] + " vs " + dense);
        assertTrue(sizes[2] * 20 < dense, "99% sparse (CSR) is over 20x smaller: " + sizes[2] + " vs " + dense);
        assertEquals(SparseWeights.Layout.DENSE, SparseWeights.choose(1000, 990, 10));
        assertEquals(SparseWeights.Layout.BITMASK, SparseWeights.choose(1000, 100, 10));
        assertEquals(SparseWeights.Layout.CSR, SparseWeights.choose(100_000, 1000, 100));
    }

    @Test
    void packageSavedSparseLoadsDense() throws IOException {
        Map<String, Tensor> w = weights();
        Path dir = tmp.resolve("pkg");
        ModelPackage.saveSparse(dir, ModelJsonTest.sample(), w);
        Path denseDir = tmp.resolve("dense");
        ModelPackage.save(denseDir, ModelJsonTest.sample(), w);
        assertTrue(Files.size(dir.resolve(ModelPackage.WEIGHTS)) * 3 < Files.size(denseDir.resolve(ModelPackage.WEIGHTS)));
        try (ModelPackage p = ModelPackage.load(dir)) {
            assertArrayEquals(w.get("1.weight").toDoubleArray(), p.tensors().get("1.weight").toDoubleArray(), 0.0); // -0 back as +0
        }
    }

    @Test
    void refusesNameClashesAndBadComponents() throws IOException {
        Map<String, Tensor> clash = new LinkedHashMap<>();
        clash.put("w", pruned(16, 64, 0.9, 1));
        clash.put("w.values", Tensor.zeros(3));
        var e = assertThrows(IllegalArgumentException.class, () -> SparseWeights.encode(clash));
        assertTrue(e.getMessage().contains("'w.values'"), e.getMessage());

        // a CSR column out of range
        Map<String, Tensor> bad = new LinkedHashMap<>();
        bad.put("w.indptr", Tensor.fromArray(new int[] {0, 1, 2}));
        bad.put("w.indices", Tensor.fromArray(new int[] {0, 9}));
        bad.put("w.values", Tensor.fromArray(new float[] {1, 2}));
        Path f = tmp.resolve("bad.safetensors");
        Safetensors.write(f, bad, Map.of(SparseWeights.METADATA_KEY, "{\"w\":{\"layout\":\"csr\",\"shape\":[2,4]}}"));
        try (SafetensorsFile file = Safetensors.open(f)) {
            var x = assertThrows(ModelFormatException.class, () -> SparseWeights.decode(file));
            assertTrue(x.getMessage().contains("w.indices") && x.getMessage().contains("column 9"), x.getMessage());
        }
        // a bitmask whose values are too few
        Map<String, Tensor> few = new LinkedHashMap<>();
        few.put("m.mask", Tensor.fromBytes(new byte[] {(byte) 0b111}, DType.U8));
        few.put("m.values", Tensor.fromArray(new float[] {1, 2}));
        Path g = tmp.resolve("few.safetensors");
        Safetensors.write(g, few, Map.of(SparseWeights.METADATA_KEY, "{\"m\":{\"layout\":\"bitmask\",\"shape\":[8]}}"));
        try (SafetensorsFile file = Safetensors.open(g)) {
            var x = assertThrows(ModelFormatException.class, () -> SparseWeights.decode(file));
            assertTrue(x.getMessage().contains("m.values") && x.getMessage().contains("[3]"), x.getMessage());
        }
    }

    @Test
    void refusesAForgedCsrShapeInsteadOfAllocatingIt() throws IOException {
        Map<String, Tensor> forged = new LinkedHashMap<>();
        forged.put("w.indptr", Tensor.fromArray(new int[] {0, 1}));
        forged.put("w.indices", Tensor.fromArray(new int[] {0}));
        forged.put("w.values", Tensor.fromArray(new float[] {1}));
        Path f = tmp.resolve("forged.safetensors");
        Safetensors.write(f, forged, Map.of(SparseWeights.METADATA_KEY,
                "{\"w\":{\"layout\":\"csr\",\"shape\":[1,2000000000]}}"));
        try (SafetensorsFile file = Safetensors.open(f)) {
            var x = assertThrows(ModelFormatException.class, () -> SparseWeights.decode(file));
            assertTrue(x.getMessage().contains("the shape is wrong"), x.getMessage());
        }
        // and a sparse index that names a tensor twice
        Path g = tmp.resolve("dup.safetensors");
        Safetensors.write(g, forged, Map.of(SparseWeights.METADATA_KEY,
                "{\"w\":{\"layout\":\"csr\",\"shape\":[1,4]},\"w\":{\"layout\":\"csr\",\"shape\":[1,8]}}"));
        try (SafetensorsFile file = Safetensors.open(g)) {
            var x = assertThrows(ModelFormatException.class, () -> SparseWeights.decode(file));
            assertTrue(x.getMessage().contains("appears twice"), x.getMessage());
        }
    }
}
