package dev.anvil.conformance;

/** The reference backend against itself: exercises every op path and the suite's own machinery. */
class ReferenceConformanceTest extends BackendConformanceSuite {
    @Override
    protected String backendName() {
        return "reference";
    }
}
