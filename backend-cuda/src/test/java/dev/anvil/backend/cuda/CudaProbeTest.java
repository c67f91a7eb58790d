package dev.anvil.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anvil.BackendStatus;
import dev.anvil.Backends;
import dev.anvil.spi.Availability;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs everywhere: the probe answers quickly, never throws, and explains itself. */
class CudaProbeTest {
    /** Phrases of the reasons a machine without a usable GPU gets; each names what to install or check. */
    private static final List<String> ACTIONABLE = List.of("libcuda.so.1 not found: install the NVIDIA driver",
            "CUDA runtime not found", "cudaGetDeviceCount returned", "no CUDA device", "cuBLAS not found",
            "NVRTC not found", "compute capability");

    @Test
    void probeAnswersQuicklyWithAnActionableReasonOrADevice() {
        long t0 = System.nanoTime();
        Availability a = new CudaProvider().probe();
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertNotNull(a);
        assertTrue(millis < 20_000, "probe took " + millis + " ms");
        if (a.available()) {
            System.out.println("[backend-cuda] probe: " + a.device().name() + " (" + a.device().details() + ")");
            assertFalse(a.device().name().isBlank());
            assertTrue(a.device().cores() > 0 && a.device().memoryBytes() > 0, a.device().toString());
            assertTrue(a.device().details().contains("compute capability"), a.device().details());
        } else {
            System.out.println("[backend-cuda] probe: unavailable in " + millis + " ms: " + a.reason());
            assertTrue(ACTIONABLE.stream().anyMatch(a.reason()::contains), "reason is not actionable: " + a.reason());
        }
    }

    @Test
    void probeIsStableAndNeverThrowsWhenAskedAgain() {
        Availability first = new CudaProvider().probe();
        Availability second = new CudaProvider().probe();
        assertEquals(first, second);
    }

    @Test
    void providerIsDiscoveredWithTheHighestPriority() {
        BackendStatus s = Backends.statuses().stream().filter(b -> b.name().equals("cuda")).findFirst().orElseThrow(
                () -> new AssertionError("cuda is not listed; META-INF/services/dev.anvil.spi.BackendProvider is missing"));
        assertEquals(400, s.priority());
        assertEquals(new CudaProvider().probe().available(), s.available());
    }

    @Test
    void choosingCudaWithoutAGpuFailsWithTheProbeReason() {
        Availability a = new CudaProvider().probe();
        if (a.available()) {
            assertEquals("cuda", Backends.get("cuda").name());
            return;
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.get("cuda"));
        assertTrue(e.getMessage().contains(a.reason()), e.getMessage());
    }

    @Test
    void linkErrorsNameTheLibraryToInstall() {
        var missingDriver = new UnsatisfiedLinkError("no jnicudart in java.library.path");
        missingDriver.initCause(new UnsatisfiedLinkError("/x/libjnicudart.so: libcuda.so.1: cannot open shared object file"));
        assertEquals("libcuda.so.1 not found: install the NVIDIA driver", CudaProbe.linkReason("cudart", missingDriver));
        assertTrue(CudaProbe.linkReason("cuBLAS", new UnsatisfiedLinkError("libcublasLt.so.13: cannot open shared object file"))
                .startsWith("cuBLAS not found: install libcublas (CUDA 13)"));
        assertTrue(CudaProbe.linkReason("NVRTC", new UnsatisfiedLinkError("libnvrtc.so.13: cannot open"))
                .startsWith("NVRTC not found"));
        assertTrue(CudaProbe.linkReason("cudart", new UnsatisfiedLinkError("libcudart.so.13: cannot open"))
                .startsWith("CUDA runtime not found"));
        assertTrue(CudaProbe.linkReason("x", new NoClassDefFoundError("Could not initialize class cudart"))
                .contains("Could not initialize class"));
    }

    @Test
    void versionsAndPeakEstimatesAreDecoded() {
        assertEquals("13.0", CudaProbe.version(13000));
        assertEquals("12.8", CudaProbe.version(12080));
        assertEquals(128, CudaProbe.fp32LanesPerSm(9, 0));
        assertEquals(64, CudaProbe.fp32LanesPerSm(8, 0));
        assertEquals("sm_90", Kernels.architecture(90, new int[] {75, 80, 90, 100}));
        assertEquals("compute_90", Kernels.architecture(95, new int[] {75, 80, 90, 100}));
        assertEquals(null, Kernels.architecture(61, new int[] {75, 80}));
    }
}
