package dev.anvil.backend.cuda;

import dev.anvil.spi.Availability;
import dev.anvil.spi.Backend;
import dev.anvil.spi.BackendProvider;
import dev.anvil.spi.DeviceInfo;

/**
 * Test-only backend {@code cuda-emulated}: the cuda backend's Java code and CUDA kernels over
 * {@link EmulatedRuntime}, so the conformance suite checks them on machines without a GPU. The lowest
 * priority, so nothing picks it unless asked by name.
 */
public final class EmulatedCudaProvider implements BackendProvider {
    static final String NAME = "cuda-emulated";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 1;
    }

    @Override
    public Availability probe() {
        String cxx = EmulatedRuntime.compiler();
        return cxx == null ? Availability.unavailable("no C++ compiler (g++) on the PATH to build the kernel emulator")
                : Availability.available(info());
    }

    static DeviceInfo info() {
        return new DeviceInfo("CUDA kernels emulated on the CPU", 1, Runtime.getRuntime().maxMemory(), 0, 0, "test only");
    }

    @Override
    public Backend create() {
        return new CudaBackend(NAME, new EmulatedRuntime(), info());
    }
}
