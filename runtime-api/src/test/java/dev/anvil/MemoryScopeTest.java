package dev.anvil;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anvil.spi.Backend;
import org.junit.jupiter.api.Test;

class MemoryScopeTest {
    private final Backend ref = Backends.get("reference");

    @Test
    void closingAScopeFreesEverythingButKeptTensors() {
        try (var u = Backends.use(ref)) {
            long before = ref.memory().liveBytes();
            Tensor kept;
            try (MemoryScope outer = MemoryScope.open("outer")) {
                Tensor inner;
                try (MemoryScope s = MemoryScope.open("inner")) {
                    Tensor a = Tensor.ones(100);
                    inner = s.keep(a.add(1));
                    a.mul(2);
                    assertEquals(4, s.size(), "ones, the scalar 1, the scalar 2 and the product are owned by the inner scope");
                }
                assertTrue(inner.isAlive());
                assertEquals(1, outer.size());
                kept = outer.keep(inner.reshape(10, 10));
                assertTrue(kept.isAlive());
            }
            assertTrue(kept.isAlive(), "kept by the outermost scope means owned by the root scope (the GC)");
            assertEquals(200.0, kept.sum().item());
            assertTrue(ref.memory().liveBytes() >= before);
        }
    }

    @Test
    void useAfterCloseNamesTheTensorAndTheScope() {
        try (var u = Backends.use(ref)) {
            Tensor dead;
            try (MemoryScope s = MemoryScope.open("step-7")) {
                dead = Tensor.zeros(2, 3);
            }
            assertFalse(dead.isAlive());
            var e = assertThrows(IllegalStateException.class, () -> dead.add(dead));
            assertTrue(e.getMessage().contains("F32[2, 3]") && e.getMessage().contains("step-7"), e.getMessage());
            assertThrows(IllegalStateException.class, dead::toFloatArray);
            assertThrows(IllegalStateException.class, () -> dead.reshape(6));
            assertTrue(dead.toString().contains("released"));
        }
    }

    @Test
    void scopesMustCloseInnermostFirst() {
        MemoryScope outer = MemoryScope.open("a");
        MemoryScope inner = MemoryScope.open("b");
        var e = assertThrows(IllegalStateException.class, outer::close);
        assertTrue(e.getMessage().contains("'b'"), e.getMessage());
        inner.close();
        outer.close();
    }

    @Test
    void memoryIsFlatOverManyScopedSteps() {
        try (var u = Backends.use(ref)) {
            Tensor w = Tensor.randn(Shape.of(32, 32), 1);
            try (MemoryScope s = MemoryScope.open()) {
                w.matmul(w).relu().sum();
            }
            long live = ref.memory().liveBytes();
            long reserved = ref.memory().reservedBytes();
            for (int i = 0; i < 300; i++) {
                try (MemoryScope s = MemoryScope.open()) {
                    w.matmul(w).relu().add(w).sum();
                }
            }
            assertEquals(live, ref.memory().liveBytes());
            assertEquals(reserved, ref.memory().reservedBytes(), "steady state takes no new memory from the system");
        }
    }

    @Test
    void rootScopeTensorsAreCollected() throws InterruptedException {
        try (var u = Backends.use(ref)) {
            Tensor.zeros(1).sum(); // warm
            long live = ref.memory().liveBytes();
            for (int i = 0; i < 50; i++) {
                Tensor.zeros(1 << 16);
            }
            assertTrue(ref.memory().liveBytes() > live);
            for (int i = 0; i < 50 && ref.memory().liveBytes() > live + (1 << 18); i++) {
                System.gc();
                Thread.sleep(20);
            }
            assertTrue(ref.memory().liveBytes() <= live + (1 << 18), "unreachable root-scope tensors were not freed");
        }
    }
}
