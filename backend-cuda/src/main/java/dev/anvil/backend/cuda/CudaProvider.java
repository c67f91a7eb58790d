package dev.anvil.backend.cuda;

import dev.anvil.spi.Availability;
import dev.anvil.spi.Backend;
import dev.anvil.spi.BackendProvider;

/**
 * The {@code cuda} backend: available where the NVIDIA driver, an NVIDIA GPU and the CUDA 13 runtime,
 * cuBLAS and NVRTC libraries are present; everywhere else it says which of them is missing.
 * System properties: {@code anvil.cuda.device} (default 0), {@code anvil.cuda.tf32} (default false).
 */
public final class CudaProvider implements BackendProvider {

    @Override
    public String name() {
        return CudaBackend.NAME;
    }

    @Override
    public int priority() {
        return 400;
    }

    @Override
    public Availability probe() {
        return CudaProbe.result().availability();
    }

    @Override
    public Backend create() {
        CudaProbe.Result r = CudaProbe.result();
        if (r.found() == null) {
            throw new IllegalStateException("cuda is not available: " + r.availability().reason());
        }
        return new CudaBackend(r.found());
    }
}
