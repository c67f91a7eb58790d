package dev.anvil.backend.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.anvil.conformance.BackendConformanceSuite;
import dev.anvil.spi.Availability;
import org.junit.jupiter.api.BeforeAll;

/**
 * Runs everywhere a C++ compiler is: the shared conformance suite against the cuda backend's Java dispatch
 * and the CUDA kernels themselves, compiled for the CPU (see {@link EmulatedRuntime}).
 */
class EmulatedConformanceTest extends BackendConformanceSuite {

    @BeforeAll
    static void needsCompiler() {
        Availability a = new EmulatedCudaProvider().probe();
        if (!a.available()) {
            System.out.println("[backend-cuda] skipping the emulated conformance suite: " + a.reason());
        }
        assumeTrue(a.available(), a::reason);
    }

    @Override
    protected String backendName() {
        return EmulatedCudaProvider.NAME;
    }
}
