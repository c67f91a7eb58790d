package dev.anvil.backend.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.anvil.Backends;
import dev.anvil.spi.Availability;

/** Skips GPU tests, with a printed reason, where the cuda backend cannot run. */
final class Gpu {
    private Gpu() {
    }

    static Availability availability() {
        return new CudaProvider().probe();
    }

    /** Aborts the calling test (or class, from {@code @BeforeAll}) unless a GPU is usable. */
    static void assumeAvailable(String what) {
        Availability a = availability();
        if (!a.available()) {
            System.out.println("[backend-cuda] skipping " + what + ": no GPU: " + a.reason());
        }
        assumeTrue(a.available(), () -> "no GPU: " + a.reason());
    }

    static CudaBackend backend() {
        return (CudaBackend) Backends.get(CudaBackend.NAME);
    }
}
