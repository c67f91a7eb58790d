package dev.anvil.backend.openblas;

import dev.anvil.conformance.BackendConformanceSuite;

/**
 * The shared conformance suite against the openblas backend. Run with the BLAS threshold at 0 so that even
 * the suite's small products go through OpenBLAS (see the surefire configuration).
 */
class OpenBlasConformanceTest extends BackendConformanceSuite {
    @Override
    protected String backendName() {
        return "openblas";
    }
}
