package dev.anvil.backend.cuda;

import static org.bytedeco.cuda.global.cudart.cudaDevAttrClockRate;
import static org.bytedeco.cuda.global.cudart.cudaDeviceGetAttribute;
import static org.bytedeco.cuda.global.cudart.cudaDriverGetVersion;
import static org.bytedeco.cuda.global.cudart.cudaGetDeviceCount;
import static org.bytedeco.cuda.global.cudart.cudaGetDeviceProperties;
import static org.bytedeco.cuda.global.cudart.cudaGetErrorName;
import static org.bytedeco.cuda.global.cudart.cudaRuntimeGetVersion;
import static org.bytedeco.cuda.global.nvrtc.nvrtcVersion;

import dev.anvil.spi.Availability;
import dev.anvil.spi.DeviceInfo;
import java.util.Arrays;
import java.util.Locale;
import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.cuda.global.nvrtc;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;

/**
 * Finds out whether CUDA can run here, without ever throwing: loads the JavaCPP wrappers (which need the
 * driver's {@code libcuda.so.1} and the CUDA 13 runtime), counts devices, then loads cuBLAS and NVRTC, and
 * turns every failure into a reason a person can act on. The answer is computed once per process and kept
 * (a native library that failed to load cannot be loaded again anyway).
 */
final class CudaProbe {
    /** The device the backend will use. */
    record Found(int ordinal, int computeCapability, DeviceInfo info) {
    }

    /** The probe's answer; {@code found} is null when unavailable. */
    record Result(Availability availability, Found found) {
    }

    private static Result result;

    private CudaProbe() {
    }

    /** The probe's answer, computed on first use. */
    static synchronized Result result() {
        if (result == null) {
            result = run();
        }
        return result;
    }

    private static Result unavailable(String reason) {
        return new Result(Availability.unavailable(reason), null);
    }

    private static Result run() {
        try {
            return probe();
        } catch (Throwable t) { // probe() must never throw: a native library can fail in any way
            return unavailable("CUDA probe failed: " + describe(t));
        }
    }

    private static Result probe() {
        try {
            Loader.load(cudart.class);
        } catch (Throwable t) {
            return unavailable(linkReason("the CUDA runtime wrapper (jnicudart)", t));
        }
        int[] count = {0}; // the runtime leaves it unwritten on some errors
        int rc = cudaGetDeviceCount(count);
        if (rc != 0) {
            return unavailable("cudaGetDeviceCount returned " + rc + " (" + errorName(rc) + ")" + deviceCountHint(rc));
        }
        if (count[0] <= 0) {
            return unavailable("no CUDA device: cudaGetDeviceCount found 0 devices" + visibleDevices());
        }
        int ordinal;
        try {
            ordinal = Integer.parseInt(System.getProperty("anvil.cuda.device", "0").trim());
        } catch (NumberFormatException e) {
            return unavailable("anvil.cuda.device must be a device number, got '" + System.getProperty("anvil.cuda.device") + "'");
        }
        if (ordinal < 0 || ordinal >= count[0]) {
            return unavailable("anvil.cuda.device=" + ordinal + " but this machine has " + count[0] + " CUDA device(s)");
        }
        try {
            Loader.load(cublas.class);
        } catch (Throwable t) {
            return unavailable(linkReason("cuBLAS", t));
        }
        try {
            Loader.load(nvrtc.class);
        } catch (Throwable t) {
            return unavailable(linkReason("NVRTC", t));
        }
        cudaDeviceProp prop = new cudaDeviceProp();
        rc = cudaGetDeviceProperties(prop, ordinal);
        if (rc != 0) {
            return unavailable("cudaGetDeviceProperties(" + ordinal + ") returned " + rc + " (" + errorName(rc) + ")");
        }
        int cc = prop.major() * 10 + prop.minor();
        int[] archs = Kernels.supportedArchs();
        if (Kernels.architecture(cc, archs) == null) {
            return unavailable("compute capability " + prop.major() + "." + prop.minor() + " is older than NVRTC supports "
                    + Arrays.toString(archs) + ": use a newer GPU or an older CUDA");
        }
        int sms = prop.multiProcessorCount();
        int[] clockKhz = {0};
        cudaDeviceGetAttribute(clockKhz, cudaDevAttrClockRate, ordinal);
        double peak = sms * (double) fp32LanesPerSm(prop.major(), prop.minor()) * 2 * clockKhz[0] / 1e6;
        int[] driver = {0};
        int[] runtime = {0};
        cudaDriverGetVersion(driver);
        cudaRuntimeGetVersion(runtime);
        int[] nvMajor = {0};
        int[] nvMinor = {0};
        nvrtcVersion(nvMajor, nvMinor);
        String name = prop.name().getString().trim();
        long memory = prop.totalGlobalMem();
        String details = String.format(Locale.ROOT,
                "compute capability %d.%d, %d SMs at %d MHz, %.1f GiB, device %d of %d; driver %s, runtime %s, NVRTC %d.%d",
                prop.major(), prop.minor(), sms, clockKhz[0] / 1000, memory / (double) (1L << 30), ordinal, count[0],
                version(driver[0]), version(runtime[0]), nvMajor[0], nvMinor[0]);
        DeviceInfo info = new DeviceInfo(name, sms, memory, 0, peak, details);
        return new Result(Availability.available(info), new Found(ordinal, cc, info));
    }

    /** FP32 FMA lanes per SM, for the peak estimate. */
    static int fp32LanesPerSm(int major, int minor) {
        if (major < 8 || (major == 8 && minor == 0)) {
            return 64;
        }
        return 128;
    }

    /** CUDA encodes 13000 for 13.0. */
    static String version(int v) {
        return v <= 0 ? "unknown" : v / 1000 + "." + v % 1000 / 10;
    }

    private static String errorName(int rc) {
        try {
            BytePointer p = cudaGetErrorName(rc);
            return p == null ? "unknown error" : p.getString();
        } catch (RuntimeException | LinkageError e) {
            return "unknown error";
        }
    }

    private static String deviceCountHint(int rc) {
        return switch (rc) {
            case 100 -> ": no CUDA-capable device is visible" + visibleDevices();
            case 35 -> ": the NVIDIA driver is older than the CUDA 13 runtime; update the driver (580 or newer)";
            case 34 -> ": libcuda.so.1 is the CUDA toolkit's stub, not a driver; install the NVIDIA driver";
            case 3 -> ": the driver failed to initialise; check nvidia-smi and dmesg";
            default -> "";
        };
    }

    private static String visibleDevices() {
        String v = System.getenv("CUDA_VISIBLE_DEVICES");
        return v == null ? "" : " (CUDA_VISIBLE_DEVICES=" + v + ")";
    }

    /** Every message in the chain of causes and suppressed exceptions, in one line. */
    static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder();
        java.util.Set<Throwable> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        collect(t, sb, seen);
        return sb.toString();
    }

    private static void collect(Throwable t, StringBuilder sb, java.util.Set<Throwable> seen) {
        if (t == null || !seen.add(t)) {
            return;
        }
        if (!sb.isEmpty()) {
            sb.append("; ");
        }
        sb.append(t.getClass().getSimpleName());
        if (t.getMessage() != null) {
            sb.append(": ").append(t.getMessage());
        }
        collect(t.getCause(), sb, seen);
        for (Throwable s : t.getSuppressed()) {
            collect(s, sb, seen);
        }
    }

    /** The reason a native library failed to load, naming what to install. */
    static String linkReason(String what, Throwable t) {
        String all = describe(t);
        if (all.contains("libcuda.so")) {
            return "libcuda.so.1 not found: install the NVIDIA driver";
        }
        if (all.contains("libcudart")) {
            return "CUDA runtime not found: install libcudart.so.13 (CUDA 13) or add its directory to LD_LIBRARY_PATH";
        }
        if (all.contains("libcublas")) {
            return "cuBLAS not found: install libcublas (CUDA 13): libcublas.so.13 and libcublasLt.so.13 must be on the"
                    + " library path (LD_LIBRARY_PATH)";
        }
        if (all.contains("libnvrtc")) {
            return "NVRTC not found: install libnvrtc (CUDA 13): libnvrtc.so.13 compiles the kernels at run time and must be"
                    + " on the library path (LD_LIBRARY_PATH)";
        }
        if (all.contains("undefined symbol")) {
            return what + " needs a newer CUDA 13 library: " + all;
        }
        return what + " could not be loaded: " + all;
    }
}
