package dev.anvil.backend.vector;

import dev.anvil.conformance.BackendConformanceSuite;

/** The shared conformance suite against the cpu-vector backend. */
class VectorConformanceTest extends BackendConformanceSuite {
    @Override
    protected String backendName() {
        return "cpu-vector";
    }
}
