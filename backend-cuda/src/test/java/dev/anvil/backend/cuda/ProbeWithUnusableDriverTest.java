package dev.anvil.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.anvil.spi.Availability;
import java.io.File;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.Loader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where a C compiler and the CUDA 13 runtime library are installed (this development machine: toolkit, no
 * driver): a stand-in {@code libcuda.so.1} that exports nothing lets the JNI wrappers load, and the probe
 * must then report the runtime's refusal (cudaErrorInsufficientDriver) instead of crashing. Runs in a child
 * JVM so the stand-in cannot leak into this one.
 */
class ProbeWithUnusableDriverTest {

    private static String cc() {
        for (String c : List.of("cc", "gcc")) {
            for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
                if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, c))) {
                    return Path.of(dir, c).toString();
                }
            }
        }
        return null;
    }

    private static boolean cudartInstalled() {
        for (String dir : List.of("/usr/local/cuda/lib64", "/usr/local/cuda-13.0/lib64", "/usr/local/cuda-13.1/lib64")) {
            if (Files.exists(Path.of(dir, "libcudart.so.13"))) {
                return true;
            }
        }
        String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null) {
            for (String dir : ld.split(File.pathSeparator)) {
                if (!dir.isEmpty() && Files.exists(Path.of(dir, "libcudart.so.13"))) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String location(URL url) throws URISyntaxException {
        String s = url.toString();
        if (s.startsWith("jar:")) {
            s = s.substring(4, s.indexOf("!/"));
        }
        return Path.of(new java.net.URI(s)).toString();
    }

    private static String classpath() throws URISyntaxException {
        Set<String> cp = new LinkedHashSet<>();
        for (Class<?> c : List.of(ProbeMain.class, CudaProbe.class, Availability.class, Loader.class, cudart.class)) {
            cp.add(location(c.getProtectionDomain().getCodeSource().getLocation()));
        }
        for (String r : List.of("/org/bytedeco/javacpp/linux-x86_64/libjnijavacpp.so", "/org/bytedeco/cuda/linux-x86_64/libjnicudart.so")) {
            URL u = Loader.class.getResource(r);
            if (u != null) {
                cp.add(location(u));
            }
        }
        return String.join(File.pathSeparator, cp);
    }

    @Test
    void probeReportsTheRuntimesRefusalWhenTheDriverIsUnusable(@TempDir Path dir) throws Exception {
        String cc = cc();
        boolean cudart = cudartInstalled();
        if (cc == null || !cudart || !System.getProperty("os.arch").equals("amd64")) {
            System.out.println("[backend-cuda] skipping the unusable-driver probe: needs cc and libcudart.so.13 on x86-64 (cc "
                    + cc + ", libcudart.so.13 " + (cudart ? "found" : "not found") + ")");
        }
        assumeTrue(cc != null && cudart && System.getProperty("os.arch").equals("amd64"));
        assumeTrue(!Gpu.availability().available(), "a usable GPU is present: the stand-in driver would only shadow it");
        Path src = dir.resolve("stub.c");
        Files.writeString(src, "int anvil_stub_driver(void) { return 0; }\n");
        Process build = new ProcessBuilder(cc, "-shared", "-fPIC", "-Wl,-soname,libcuda.so.1", "-o",
                dir.resolve("libcuda.so.1").toString(), src.toString()).redirectErrorStream(true).start();
        String buildLog = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(build.waitFor(60, TimeUnit.SECONDS) && build.exitValue() == 0, buildLog);

        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", classpath(), ProbeMain.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        String ld = System.getenv("LD_LIBRARY_PATH");
        pb.environment().put("LD_LIBRARY_PATH", dir + (ld == null ? "" : File.pathSeparator + ld));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "probe hung");
        assertEquals(0, p.exitValue(), out);
        System.out.println("[backend-cuda] probe with a stand-in driver: " + out.lines().filter(l -> l.startsWith("unavailable")).findFirst().orElse(out));
        assertTrue(out.contains("unavailable: cudaGetDeviceCount returned 35 (cudaErrorInsufficientDriver)"), out);
    }
}
