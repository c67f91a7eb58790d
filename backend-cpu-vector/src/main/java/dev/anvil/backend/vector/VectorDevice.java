package dev.anvil.backend.vector;

import dev.anvil.spi.ComputePool;
import dev.anvil.spi.DeviceInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Describes the CPU the vector kernels run on, from {@code /proc/cpuinfo} and the preferred vector species. */
final class VectorDevice {
    private VectorDevice() {
    }

    /** What {@code /proc/cpuinfo} says, or neutral values where it is absent (non-Linux, containers hiding it). */
    record CpuInfo(String model, double mhz, String isa) {
    }

    static DeviceInfo describe() {
        VectorSpecies<Float> species = FloatVector.SPECIES_PREFERRED;
        int cores = ComputePool.threads();
        int bits = species.vectorBitSize();
        int lanes = species.length();
        CpuInfo cpu = cpuInfo(readLines(Path.of("/proc/cpuinfo")));
        // cores x GHz x F32 lanes x 2 (an FMA is two flops) x 2 (two FMA units per core on current x86 and ARM cores)
        double peak = cores * (cpu.mhz() / 1000.0) * lanes * 2 * 2;
        String name = cpu.model() + " (" + cores + " threads, " + cpu.isa() + " " + bits + "-bit)";
        String clock = cpu.mhz() > 0 ? String.format(Locale.ROOT, "%.0f MHz", cpu.mhz()) : "clock unknown";
        String details = "species " + species + " (" + lanes + " x F32), " + cores + " compute-pool threads, "
                + clock + ", peak = cores x GHz x lanes x 2 (FMA) x 2 (FMA units); ops under "
                + 2 * Runs.GRAIN + " elements stay on the calling thread";
        return new DeviceInfo(name, cores, memTotal(readLines(Path.of("/proc/meminfo"))), bits, peak, details);
    }

    static List<String> readLines(Path p) {
        try {
            return Files.readAllLines(p);
        } catch (IOException | SecurityException e) {
            return List.of();
        }
    }

    /** Parses the first processor's model name, clock and widest SIMD extension; package-private for tests. */
    static CpuInfo cpuInfo(List<String> lines) {
        String model = null;
        double mhz = 0;
        String flags = "";
        for (String line : lines) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            if (model == null && key.equals("model name") && !value.isEmpty()) {
                model = value;
            } else if (mhz == 0 && key.equals("cpu MHz")) {
                try {
                    mhz = Double.parseDouble(value);
                } catch (NumberFormatException e) {
                    mhz = 0; // unknown clock: the peak estimate becomes 0, as DeviceInfo documents
                }
            } else if (flags.isEmpty() && (key.equals("flags") || key.equals("Features"))) {
                flags = " " + value + " ";
            }
        }
        String isa;
        if (flags.contains(" avx512f ")) {
            isa = "AVX-512";
        } else if (flags.contains(" avx2 ")) {
            isa = "AVX2";
        } else if (flags.contains(" avx ")) {
            isa = "AVX";
        } else if (flags.contains(" sve ")) {
            isa = "SVE";
        } else if (flags.contains(" asimd ")) {
            isa = "NEON";
        } else if (flags.contains(" sse2 ")) {
            isa = "SSE2";
        } else {
            isa = "SIMD";
        }
        if (model == null) {
            model = System.getProperty("os.arch", "unknown") + " CPU";
        }
        return new CpuInfo(model, Double.isFinite(mhz) && mhz > 0 ? mhz : 0, isa);
    }

    private static long memTotal(List<String> lines) {
        for (String line : lines) {
            if (line.startsWith("MemTotal:")) {
                String[] parts = line.substring(9).trim().split("\\s+");
                try {
                    return Long.parseLong(parts[0]) * 1024;
                } catch (NumberFormatException e) {
                    break;
                }
            }
        }
        return Runtime.getRuntime().maxMemory();
    }
}
