package dev.anvil.backend.vector;

import dev.anvil.spi.Availability;
import dev.anvil.spi.Backend;
import dev.anvil.spi.BackendProvider;

/**
 * The SIMD CPU backend: every kernel written with {@code jdk.incubator.vector}, split over the shared
 * compute pool. This class names no Vector API type (fields, signatures, static init), so the service
 * loader can instantiate it on a JVM started without the incubator module, and {@link #probe()} can say so.
 */
public final class VectorProvider implements BackendProvider {
    public static final String NAME = "cpu-vector";
    static final String MODULE = "jdk.incubator.vector";
    static final String HOW_TO_ENABLE = "start the JVM with --add-modules " + MODULE;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 200;
    }

    @Override
    public Availability probe() {
        try {
            if (ModuleLayer.boot().findModule(MODULE).isEmpty()) {
                return Availability.unavailable(HOW_TO_ENABLE);
            }
            return Availability.available(VectorDevice.describe());
        } catch (LinkageError e) {
            return Availability.unavailable(HOW_TO_ENABLE + " (" + e + ")");
        } catch (RuntimeException e) {
            // Describing the device reads /proc; nothing there may turn a usable backend into a crash.
            return Availability.unavailable("cpu-vector probe failed: " + e);
        }
    }

    @Override
    public Backend create() {
        return new VectorBackend();
    }
}
