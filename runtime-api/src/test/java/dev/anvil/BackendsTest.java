package dev.anvil;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class BackendsTest {

    @Test
    void referenceIsAlwaysDiscoveredAndAvailable() {
        List<BackendStatus> all = Backends.statuses();
        BackendStatus ref = all.stream().filter(s -> s.name().equals("reference")).findFirst().orElseThrow();
        assertTrue(ref.available());
        assertEquals(100, ref.priority());
        assertNotNull(ref.device());
        for (int i = 1; i < all.size(); i++) {
            assertTrue(all.get(i - 1).priority() >= all.get(i).priority(), "statuses are sorted by priority");
        }
    }

    @Test
    void unknownBackendNamesTheKnownOnes() {
        var e = assertThrows(IllegalArgumentException.class, () -> Backends.get("tpu"));
        assertTrue(e.getMessage().contains("unknown backend 'tpu'") && e.getMessage().contains("reference"), e.getMessage());
    }

    @Test
    void useOverridesTheCurrentBackendForThisThreadOnly() throws Exception {
        var ref = Backends.get("reference");
        try (var u = Backends.use(ref)) {
            assertSame(ref, Backends.current());
            assertSame(ref, Tensor.zeros(1).backend());
            Thread other = new Thread(() -> assertSame(Backends.defaultBackend(), Backends.current()));
            other.start();
            other.join();
        }
        assertSame(Backends.defaultBackend(), Backends.current());
    }

    @Test
    void theDefaultIsTheHighestPriorityAvailableBackend() {
        if (Backends.explicitChoice() == null) {
            BackendStatus best = Backends.statuses().stream().filter(BackendStatus::available).findFirst().orElseThrow();
            assertEquals(best.name(), Backends.defaultBackend().name());
        }
    }
}
