package dev.anvil.backend.cuda;

import static org.bytedeco.cuda.global.cudart.cuModuleGetFunction;
import static org.bytedeco.cuda.global.cudart.cuModuleLoadData;
import static org.bytedeco.cuda.global.nvrtc.nvrtcCompileProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcCreateProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcDestroyProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetCUBIN;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetCUBINSize;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetNumSupportedArchs;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetPTX;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetPTXSize;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetProgramLog;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetProgramLogSize;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetSupportedArchs;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.cuda.nvrtc._nvrtcProgram;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * The kernels compiled for this device with NVRTC, once per process: every {@code .cu} source on its own
 * thread (a few seconds in all), to CUBIN for the device's exact architecture when NVRTC knows it, else to
 * PTX for the newest architecture it knows, which the driver compiles on load.
 */
final class Kernels {
    private final Map<Kernel, CUfunc_st> functions = new EnumMap<>(Kernel.class);
    private final List<CUmod_st> modules = new ArrayList<>();
    private final String target;
    private final long compileMillis;

    private Kernels(String target, long compileMillis) {
        this.target = target;
        this.compileMillis = compileMillis;
    }

    /** NVRTC's targets, e.g. [75, 80, 86, 89, 90, 100, 120]. */
    static int[] supportedArchs() {
        int[] n = {0};
        Cuda.checkNvrtc(nvrtcGetNumSupportedArchs(n), "nvrtcGetNumSupportedArchs");
        int[] archs = new int[n[0]];
        if (n[0] > 0) {
            Cuda.checkNvrtc(nvrtcGetSupportedArchs(archs), "nvrtcGetSupportedArchs");
        }
        return archs;
    }

    /** The NVRTC option for a device of compute capability {@code cc} (e.g. 90), or null when none fits. */
    static String architecture(int cc, int[] supported) {
        int best = -1;
        for (int a : supported) {
            if (a == cc) {
                return "sm_" + cc;
            }
            if (a < cc && a > best) {
                best = a;
            }
        }
        return best < 0 ? null : "compute_" + best;
    }

    /** Compiles every source for compute capability {@code cc} and loads the modules (context must be current). */
    static Kernels compile(int cc) {
        long t0 = System.nanoTime();
        String arch = architecture(cc, supportedArchs());
        if (arch == null) {
            throw new IllegalStateException("cuda: NVRTC cannot compile for compute capability " + cc / 10 + "." + cc % 10
                    + " (it supports " + java.util.Arrays.toString(supportedArchs()) + ")");
        }
        boolean cubin = arch.startsWith("sm_");
        String header = KernelSources.read(KernelSources.HEADER);
        Map<String, BytePointer> images = new HashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(KernelSources.FILES.size(),
                Math.max(1, Runtime.getRuntime().availableProcessors())), r -> {
                    Thread t = new Thread(r, "anvil-nvrtc");
                    t.setDaemon(true);
                    return t;
                });
        try {
            Map<String, Future<BytePointer>> pending = new HashMap<>();
            for (String file : KernelSources.FILES) {
                String source = KernelSources.read(file);
                pending.put(file, pool.submit(() -> nvrtc(file, source, header, arch, cubin)));
            }
            for (var e : pending.entrySet()) {
                images.put(e.getKey(), e.getValue().get());
            }
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException("cuda: kernel compilation failed: " + cause, cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("cuda: interrupted while compiling kernels", e);
        } finally {
            pool.shutdownNow();
        }
        Kernels k = new Kernels(arch + (cubin ? " (CUBIN)" : " (PTX, compiled by the driver)"),
                (System.nanoTime() - t0) / 1_000_000);
        Map<String, CUmod_st> byFile = new HashMap<>();
        for (String file : KernelSources.FILES) {
            CUmod_st module = new CUmod_st();
            Cuda.checkDriver(cuModuleLoadData(module, images.get(file)), "cuModuleLoadData(" + file + ")");
            images.get(file).close();
            k.modules.add(module);
            byFile.put(file, module);
        }
        for (Kernel kernel : Kernel.values()) {
            CUfunc_st f = new CUfunc_st();
            Cuda.checkDriver(cuModuleGetFunction(f, byFile.get(kernel.file), kernel.symbol()),
                    "cuModuleGetFunction(" + kernel.symbol() + ")");
            k.functions.put(kernel, f);
        }
        return k;
    }

    private static BytePointer nvrtc(String file, String source, String header, String arch, boolean cubin) {
        _nvrtcProgram prog = new _nvrtcProgram();
        try (BytePointer src = new BytePointer(source); BytePointer name = new BytePointer(file);
             BytePointer hdr = new BytePointer(header); BytePointer hdrName = new BytePointer(KernelSources.HEADER);
             PointerPointer<BytePointer> headers = new PointerPointer<BytePointer>(1).put(0, hdr);
             PointerPointer<BytePointer> includeNames = new PointerPointer<BytePointer>(1).put(0, hdrName)) {
            Cuda.checkNvrtc(nvrtcCreateProgram(prog, src, name, 1, headers, includeNames), "nvrtcCreateProgram(" + file + ")");
        }
        try {
            String[] options = {"--gpu-architecture=" + arch, "--std=c++17", "-DANVIL_NVRTC=1"};
            int rc;
            try (PointerPointer<BytePointer> opts = new PointerPointer<>(options)) {
                rc = nvrtcCompileProgram(prog, options.length, opts);
            }
            if (rc != 0) {
                throw new IllegalStateException("cuda: NVRTC failed to compile " + file + " for " + arch + ":\n" + log(prog));
            }
            try (SizeTPointer size = new SizeTPointer(1)) {
                if (cubin) {
                    Cuda.checkNvrtc(nvrtcGetCUBINSize(prog, size), "nvrtcGetCUBINSize");
                } else {
                    Cuda.checkNvrtc(nvrtcGetPTXSize(prog, size), "nvrtcGetPTXSize");
                }
                BytePointer image = new BytePointer(size.get());
                if (cubin) {
                    Cuda.checkNvrtc(nvrtcGetCUBIN(prog, image), "nvrtcGetCUBIN");
                } else {
                    Cuda.checkNvrtc(nvrtcGetPTX(prog, image), "nvrtcGetPTX");
                }
                return image;
            }
        } finally {
            nvrtcDestroyProgram(prog);
        }
    }

    private static String log(_nvrtcProgram prog) {
        try (SizeTPointer size = new SizeTPointer(1)) {
            if (nvrtcGetProgramLogSize(prog, size) != 0 || size.get() <= 1) {
                return "(no log)";
            }
            try (BytePointer log = new BytePointer(size.get())) {
                nvrtcGetProgramLog(prog, log);
                return log.getString();
            }
        }
    }

    CUfunc_st get(Kernel k) {
        return functions.get(k);
    }

    /** e.g. "sm_90 (CUBIN)". */
    String target() {
        return target;
    }

    long compileMillis() {
        return compileMillis;
    }
}
