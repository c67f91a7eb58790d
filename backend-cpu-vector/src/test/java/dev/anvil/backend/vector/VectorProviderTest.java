package dev.anvil.backend.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anvil.spi.Availability;
import dev.anvil.spi.BackendProvider;
import dev.anvil.spi.ComputePool;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class VectorProviderTest {

    @Test
    void probeIsAvailableWithTheIncubatorModuleAndDescribesTheCpu() {
        VectorProvider p = new VectorProvider();
        assertEquals("cpu-vector", p.name());
        assertEquals(200, p.priority());
        Availability a = p.probe();
        assertTrue(a.available(), () -> "unavailable: " + a.reason());
        assertNull(a.reason());
        assertEquals(ComputePool.threads(), a.device().cores());
        assertEquals(FloatVector.SPECIES_PREFERRED.vectorBitSize(), a.device().vectorBits());
        assertTrue(a.device().peakGflops() >= 0);
        assertTrue(a.device().details().contains(FloatVector.SPECIES_PREFERRED.toString()), a.device().details());
        assertTrue(a.device().details().contains(ComputePool.threads() + " compute-pool threads"), a.device().details());
        assertEquals("cpu-vector", p.create().name());
    }

    @Test
    void serviceLoaderFindsTheProvider() {
        boolean found = ServiceLoader.load(BackendProvider.class).stream()
                .anyMatch(h -> h.type() == VectorProvider.class);
        assertTrue(found, "cpu-vector is not registered in META-INF/services");
    }

    @Test
    void cpuInfoParsingComputesPeakInputsAndSurvivesMissingFields() {
        VectorDevice.CpuInfo info = VectorDevice.cpuInfo(List.of("processor\t: 0", "model name\t: AMD EPYC 9654",
                "cpu MHz\t\t: 2400.000", "flags\t\t: fpu sse2 avx avx2 fma"));
        assertEquals(new VectorDevice.CpuInfo("AMD EPYC 9654", 2400.0, "AVX2"), info);
        VectorDevice.CpuInfo none = VectorDevice.cpuInfo(List.of("garbage", "cpu MHz : fast"));
        assertEquals(0.0, none.mhz());
        assertTrue(none.model().endsWith("CPU"), none.model());
    }

    @Test
    void probeExplainsTheFlagOnAJvmWithoutTheModule() throws Exception {
        // A child JVM without --add-modules: the provider must load there and say how to fix it.
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("java.class.path");
        Process proc = new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "-cp", cp,
                ProbeMain.class.getName()).redirectErrorStream(true).start();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(proc.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, proc.exitValue(), out);
        assertTrue(out.contains("available=false reason=start the JVM with --add-modules jdk.incubator.vector"), out);
    }

    /** Entry point of the child JVM above. */
    public static final class ProbeMain {
        public static void main(String[] args) {
            Availability a = new VectorProvider().probe();
            System.out.println("available=" + a.available() + " reason=" + a.reason());
        }
    }
}
