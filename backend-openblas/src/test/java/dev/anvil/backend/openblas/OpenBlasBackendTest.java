package dev.anvil.backend.openblas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anvil.BackendStatus;
import dev.anvil.Backends;
import dev.anvil.MemoryScope;
import dev.anvil.Shape;
import dev.anvil.Tensor;
import dev.anvil.spi.Backend;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

class OpenBlasBackendTest {

    @Test
    void probeDescribesTheLibraryAndItsKernelCore() {
        BackendStatus s = Backends.statuses().stream().filter(b -> b.name().equals("openblas")).findFirst().orElseThrow();
        assertTrue(s.available(), String.valueOf(s.reason()));
        assertEquals(300, s.priority());
        assertTrue(s.device().details().contains("kernel core " + OpenBlas.core()), s.device().details());
        assertTrue(s.device().details().contains("OpenBLAS 0.3"), s.device().details());
    }

    private static float[] on(Backend b, BiFunction<Tensor, Tensor, Tensor> f, int[] sa, int[] sb, boolean ta, boolean tb) {
        try (var u = Backends.use(b); MemoryScope s = MemoryScope.open()) {
            Tensor x = Tensor.randn(Shape.of(sa), 1);
            Tensor y = Tensor.randn(Shape.of(sb), 2);
            return f.apply(ta ? x.mT() : x, tb ? y.mT() : y).toFloatArray();
        }
    }

    @Test
    void matrixVectorProductsTakeTheGemvPathWithEveryTransposeAndStride() {
        Backend blas = Backends.get("openblas");
        Backend ref = Backends.get("reference");
        int[][][] shapes = {
            {{37, 50}, {50, 1}}, {{1, 50}, {50, 37}}, {{50, 37}, {50, 1}}, {{1, 50}, {37, 50}},
            {{37, 50}, {1, 50}}, {{50, 1}, {50, 37}}, {{4, 1, 50}, {4, 50, 37}}, {{4, 37, 50}, {50, 1}},
        };
        boolean[][] flags = {{false, false}, {false, false}, {true, false}, {false, true}, {false, true}, {true, false},
            {false, false}, {false, false}};
        for (int i = 0; i < shapes.length; i++) {
            float[] e = on(ref, Tensor::matmul, shapes[i][0], shapes[i][1], flags[i][0], flags[i][1]);
            float[] a = on(blas, Tensor::matmul, shapes[i][0], shapes[i][1], flags[i][0], flags[i][1]);
            assertArrayEquals(e, a, 1e-4f, "case " + i);
        }
    }

    @Test
    void tensorsOfTheVectorAndBlasBackendsMixWithoutCopies() {
        Backend blas = Backends.get("openblas");
        Backend vec = Backends.get("cpu-vector");
        try (MemoryScope s = MemoryScope.open()) {
            Tensor a;
            try (var u = Backends.use(blas)) {
                a = Tensor.randn(Shape.of(64, 64), 1);
            }
            Tensor b;
            try (var u = Backends.use(vec)) {
                b = Tensor.randn(Shape.of(64, 64), 2);
            }
            Tensor c = a.matmul(b);
            assertSame(blas, c.backend(), "the op runs on the first operand's backend");
            assertSame(vec, b.matmul(a).backend());
            assertArrayEquals(c.toFloatArray(), b.mT().matmul(a.mT()).mT().contiguous().toFloatArray(), 1e-3f);
        }
    }
}
