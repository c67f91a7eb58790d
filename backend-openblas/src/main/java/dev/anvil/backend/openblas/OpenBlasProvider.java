package dev.anvil.backend.openblas;

import dev.anvil.spi.Availability;
import dev.anvil.spi.Backend;
import dev.anvil.spi.BackendProvider;

/**
 * OpenBLAS through the JavaCPP presets: GEMM (and gemv, axpy) on Anvil's host memory with no copies, every
 * other primitive from the cpu-vector kernels on the same storage. {@link #probe()} loads the native library
 * once (JavaCPP extracts it to {@code ~/.javacpp/cache} the first time) and never throws.
 */
public final class OpenBlasProvider implements BackendProvider {
    public static final String NAME = "openblas";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 300;
    }

    @Override
    public Availability probe() {
        try {
            ThreadTimeout.applyDefault();
            return Availability.available(OpenBlas.describe());
        } catch (UnsatisfiedLinkError e) {
            return Availability.unavailable("the OpenBLAS native library did not load (" + e.getMessage()
                    + "); the jar must carry org.bytedeco:openblas for this platform (build with -Djavacpp.platform=...)");
        } catch (NoClassDefFoundError | ExceptionInInitializerError e) {
            return Availability.unavailable("OpenBLAS classes failed to initialise (" + e
                    + "); check that org.bytedeco:javacpp and openblas 0.3.31-1.5.13 are on the class path");
        } catch (LinkageError | RuntimeException e) {
            return Availability.unavailable("OpenBLAS probe failed: " + e);
        }
    }

    @Override
    public Backend create() {
        return new OpenBlasBackend();
    }
}
