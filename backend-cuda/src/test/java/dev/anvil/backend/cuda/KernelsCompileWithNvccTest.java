package dev.anvil.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Compiles every kernel source with {@code nvcc -ptx} where the CUDA toolkit is installed, so a syntax or
 * type error is caught without a GPU (NVRTC uses the same front end). Skipped, with the reason, without nvcc.
 */
class KernelsCompileWithNvccTest {
    /** The oldest architecture CUDA 13 compiles for: what compiles here compiles for every newer GPU. */
    private static final String ARCH = "compute_75";
    private static String nvcc;

    static List<String> sources() {
        return KernelSources.FILES;
    }

    static String findNvcc() {
        List<String> candidates = new ArrayList<>();
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            candidates.add(dir + "/nvcc");
        }
        String home = System.getenv("CUDA_HOME");
        if (home != null) {
            candidates.add(home + "/bin/nvcc");
        }
        candidates.add("/usr/local/cuda/bin/nvcc");
        for (String c : candidates) {
            if (!c.startsWith("/nvcc") && Files.isExecutable(Path.of(c))) {
                return c;
            }
        }
        return null;
    }

    @BeforeAll
    static void needsNvcc() {
        nvcc = findNvcc();
        if (nvcc == null) {
            System.out.println("[backend-cuda] skipping nvcc -ptx of the kernels: nvcc is not on the PATH (install the CUDA toolkit)");
        }
        assumeTrue(nvcc != null, "nvcc is not on the PATH");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sources")
    void kernelSourceCompilesToPtx(String file, @TempDir Path dir) throws IOException, InterruptedException {
        Files.writeString(dir.resolve(KernelSources.HEADER), KernelSources.read(KernelSources.HEADER), StandardCharsets.UTF_8);
        Path cu = dir.resolve(file);
        Files.writeString(cu, KernelSources.read(file), StandardCharsets.UTF_8);
        Path ptx = dir.resolve(file + ".ptx");
        Process p = new ProcessBuilder(nvcc, "-ptx", "-arch=" + ARCH, "-std=c++17", "-Werror", "all-warnings",
                "-I", dir.toString(), cu.toString(), "-o", ptx.toString()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "nvcc timed out on " + file);
        assertEquals(0, p.exitValue(), "nvcc -ptx " + file + " failed:\n" + output);
        String text = Files.readString(ptx);
        for (String name : KernelSources.kernelNames(KernelSources.read(file))) {
            assertTrue(text.contains(".entry " + name), name + " missing from the PTX of " + file);
        }
    }
}
