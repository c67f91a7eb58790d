package dev.anvil.backend.cuda;

import dev.anvil.conformance.BackendConformanceSuite;
import org.junit.jupiter.api.BeforeAll;

/** The shared conformance suite against the cuda backend; skipped with the probe's reason without a GPU. */
class CudaConformanceTest extends BackendConformanceSuite {

    @BeforeAll
    static void needsGpu() {
        Gpu.assumeAvailable("the conformance suite");
    }

    @Override
    protected String backendName() {
        return CudaBackend.NAME;
    }
}
