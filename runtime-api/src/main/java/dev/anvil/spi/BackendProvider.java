package dev.anvil.spi;

/**
 * Entry point of a backend, found with {@link java.util.ServiceLoader}: list the implementation in
 * {@code META-INF/services/dev.anvil.spi.BackendProvider}.
 *
 * <p>{@link #probe()} must never throw (the registry still guards against it, and against linkage
 * errors such as a missing {@code jdk.incubator.vector}); {@link #create()} is only called after an
 * available probe, once per process.
 */
public interface BackendProvider {

    /** Short lower-case name used by {@code --backend}, e.g. {@code "cpu-vector"}. */
    String name();

    /** Higher wins automatic selection: cuda 400, openblas 300, cpu-vector 200, reference 100. */
    int priority();

    /** Whether this backend can run here, and on what; never throws. */
    Availability probe();

    /** Creates the backend. Called at most once per process, after an available probe. */
    Backend create();
}
