package dev.anvil.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * What {@code anvil info} says about the machine: the JVM, the OS and the CPU. Best effort: a fact that
 * cannot be read is "unknown", never an error.
 *
 * @param java the Java runtime version
 * @param javaVendor its vendor
 * @param javaHome where it is installed
 * @param os operating system name, version and architecture
 * @param cpuModel the CPU's marketing name
 * @param cores processors available to the JVM
 * @param cpuFeatures SIMD-related CPU flags (avx2, avx512f, fma, neon, ...) when the OS tells them
 * @param maxHeapBytes the JVM's maximum heap
 */
record Machine(String java, String javaVendor, String javaHome, String os, String cpuModel, int cores,
        List<String> cpuFeatures, long maxHeapBytes) {

    /** The flags worth showing next to a SIMD width; /proc/cpuinfo lists a hundred more. */
    private static final Set<String> SIMD_FLAGS = Set.of("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f",
            "avx512bw", "avx512vl", "avx512_bf16", "avx512_fp16", "avx_vnni", "amx_tile", "asimd", "sve", "sve2");

    static Machine detect() {
        String os = System.getProperty("os.name") + " " + System.getProperty("os.version") + " ("
                + System.getProperty("os.arch") + ")";
        String model = "unknown";
        List<String> features = new ArrayList<>();
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (Files.isReadable(cpuinfo)) {
            try {
                for (String line : Files.readAllLines(cpuinfo, StandardCharsets.UTF_8)) {
                    int colon = line.indexOf(':');
                    if (colon < 0) {
                        continue;
                    }
                    String key = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                    String value = line.substring(colon + 1).trim();
                    if (model.equals("unknown") && (key.equals("model name") || key.equals("hardware")
                            || key.equals("cpu model")) && !value.isEmpty()) {
                        model = value;
                    } else if (features.isEmpty() && (key.equals("flags") || key.equals("features"))) {
                        for (String f : value.split("\\s+")) {
                            if (SIMD_FLAGS.contains(f)) {
                                features.add(f);
                            }
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                model = "unknown (" + e.getMessage() + ")";
            }
        } else if (System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("mac")) {
            model = sysctl("machdep.cpu.brand_string");
        }
        if (model.equals("unknown")) {
            String env = System.getenv("PROCESSOR_IDENTIFIER"); // Windows
            if (env != null && !env.isBlank()) {
                model = env.trim();
            }
        }
        return new Machine(Runtime.version().toString(), System.getProperty("java.vendor"),
                System.getProperty("java.home"), os, model, Runtime.getRuntime().availableProcessors(),
                List.copyOf(features), Runtime.getRuntime().maxMemory());
    }

    private static String sysctl(String key) {
        try {
            Process p = new ProcessBuilder("sysctl", "-n", key).redirectErrorStream(true).start();
            if (!p.waitFor(2, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "unknown";
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.exitValue() == 0 && !out.isEmpty() ? out : "unknown";
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }
}
