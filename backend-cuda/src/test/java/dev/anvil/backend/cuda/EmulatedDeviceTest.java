package dev.anvil.backend.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.anvil.Backends;
import org.junit.jupiter.api.BeforeAll;

/** Runs where a C++ compiler is: the device contract on the CPU-emulated kernels (see {@link EmulatedRuntime}). */
class EmulatedDeviceTest extends DeviceContract {
    private static CudaBackend emulated;

    @BeforeAll
    static void needsCompiler() {
        assumeTrue(new EmulatedCudaProvider().probe().available(), "no C++ compiler for the kernel emulator");
        emulated = (CudaBackend) Backends.get(EmulatedCudaProvider.NAME);
    }

    @Override
    protected CudaBackend backend() {
        return emulated;
    }

    @Override
    protected int steps() {
        return 20;
    }
}
