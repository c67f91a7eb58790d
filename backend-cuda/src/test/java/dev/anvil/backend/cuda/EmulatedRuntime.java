package dev.anvil.backend.cuda;

import dev.anvil.DType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@link DeviceRuntime} without a GPU: "device memory" is host memory, and the very same {@code .cu}
 * kernels are compiled by g++ (with prelude.hpp standing in for the CUDA built-ins) into a host library
 * whose kernels are launched through FFM, each block as a few threads meeting at a barrier. GEMM is a plain
 * column-major loop with cuBLAS's semantics. It checks dispatch and kernel arithmetic; timing, the CUDA API
 * calls and behaviour with hundreds of threads per block are only checked on a real GPU.
 */
@SuppressWarnings("restricted") // host addresses stand for device pointers; the library is ours
final class EmulatedRuntime implements DeviceRuntime {
    /** Threads per emulated block (a power of two, so the kernels' tree reductions run several rounds). */
    private static final int BLOCK = 4;
    /** Blocks per emulated launch: enough to exercise the grid-stride loops. */
    private static final int GRID = 3;
    private static final Pattern SIGNATURE = Pattern.compile("extern\\s+\"C\"\\s+__global__\\s+void\\s+(\\w+)\\s*\\(([^)]*)\\)");
    private static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private final Map<Kernel, MethodHandle> kernels = new EnumMap<>(Kernel.class);
    private final Map<Long, Arena> blocks = new ConcurrentHashMap<>();
    private final DeviceAllocator.Raw memory = new DeviceAllocator.Raw() {
        @Override
        public long malloc(long bytes) {
            Arena arena = Arena.ofShared();
            long a = arena.allocate(bytes, DeviceAllocator.ALIGNMENT).address();
            blocks.put(a, arena);
            return a;
        }

        @Override
        public void free(long address) {
            blocks.remove(address).close();
        }

        @Override
        public void synchronize() {
        }
    };

    /** The C++ compiler, or null. */
    static String compiler() {
        for (String c : List.of("g++", "c++", "clang++")) {
            for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
                if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, c))) {
                    return Path.of(dir, c).toString();
                }
            }
        }
        return null;
    }

    EmulatedRuntime() {
        Path lib = build();
        SymbolLookup lookup = SymbolLookup.libraryLookup(lib, Arena.global());
        Linker linker = Linker.nativeLinker();
        FunctionDescriptor fd = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
        for (Kernel k : Kernel.values()) {
            MemorySegment symbol = lookup.find("emu_" + k.symbol())
                    .orElseThrow(() -> new IllegalStateException("emulator lacks " + k.symbol()));
            kernels.put(k, linker.downcallHandle(symbol, fd));
        }
    }

    /** The C++ translation unit: prelude, every kernel source, and an argument-table wrapper per kernel. */
    static String harness() {
        StringBuilder sb = new StringBuilder("#include \"prelude.hpp\"\n");
        StringBuilder wrappers = new StringBuilder();
        for (String f : KernelSources.FILES) {
            String src = KernelSources.read(f);
            sb.append("#include \"").append(f).append("\"\n");
            Matcher m = SIGNATURE.matcher(src);
            while (m.find()) {
                List<String> casts = new ArrayList<>();
                String[] params = m.group(2).split(",");
                for (int i = 0; i < params.length; i++) {
                    String p = params[i].trim().replaceAll("\\s+", " ");
                    String type = p.substring(0, p.lastIndexOf(' ')).trim();
                    if (p.endsWith("*")) {
                        throw new IllegalStateException("cannot parse parameter '" + p + "' of " + m.group(1));
                    }
                    casts.add("*(" + type + "*) a[" + i + "]");
                }
                wrappers.append("extern \"C\" void emu_").append(m.group(1)).append("(void** a, int grid, int block) {\n")
                        .append("    emu_run(grid, block, [a] { ").append(m.group(1)).append("(")
                        .append(String.join(", ", casts)).append("); });\n}\n");
            }
        }
        return sb.append(wrappers).toString();
    }

    private static Path build() {
        String cxx = compiler();
        if (cxx == null) {
            throw new IllegalStateException("no C++ compiler (g++) on the PATH");
        }
        try {
            Map<String, String> files = new java.util.TreeMap<>();
            files.put("prelude.hpp", new String(EmulatedRuntime.class.getResourceAsStream("emulator/prelude.hpp").readAllBytes(),
                    StandardCharsets.UTF_8));
            files.put(KernelSources.HEADER, KernelSources.read(KernelSources.HEADER));
            for (String f : KernelSources.FILES) {
                files.put(f, KernelSources.read(f));
            }
            files.put("emulator.cpp", harness());
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            files.forEach((k, v) -> md.update((k + "\0" + v).getBytes(StandardCharsets.UTF_8)));
            String hash = HexFormat.of().formatHex(md.digest()).substring(0, 16);
            Path dir = Path.of(System.getProperty("java.io.tmpdir"), "anvil-cuda-emulator-" + hash);
            Path lib = dir.resolve("libanvil_cuda_emulator.so");
            if (Files.exists(lib)) {
                return lib;
            }
            Files.createDirectories(dir);
            for (var e : files.entrySet()) {
                Files.writeString(dir.resolve(e.getKey()), e.getValue(), StandardCharsets.UTF_8);
            }
            Path tmp = dir.resolve("lib.so.tmp" + ProcessHandle.current().pid());
            Process p = new ProcessBuilder(cxx, "-std=c++17", "-O1", "-g0", "-shared", "-fPIC", "-pthread", "-Wall",
                    "-Wno-unknown-pragmas", "-Wno-unused-function", "-Wno-unused-variable", "-I", dir.toString(),
                    dir.resolve("emulator.cpp").toString(), "-o", tmp.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("g++ failed to build the kernel emulator:\n" + out);
            }
            Files.move(tmp, lib, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return lib;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void enter() {
    }

    @Override
    public DeviceAllocator.Raw memory() {
        return memory;
    }

    @Override
    public void memset(long dst, int value, long bytes) {
        ALL.asSlice(dst, bytes).fill((byte) value);
    }

    @Override
    public void copyOnDevice(long dst, long src, long bytes) {
        MemorySegment.copy(ALL, src, ALL, dst, bytes);
    }

    @Override
    public void toDevice(MemorySegment src, long srcOffset, long dst, long bytes) {
        MemorySegment.copy(src, srcOffset, ALL, dst, bytes);
    }

    @Override
    public void toHost(long src, MemorySegment dst, long dstOffset, long bytes) {
        MemorySegment.copy(ALL, src, dst, dstOffset, bytes);
    }

    @Override
    public void launch(Kernel kernel, long blocks, int threads, MemorySegment args) {
        try {
            kernels.get(kernel).invokeExact(args, (int) Math.min(blocks, GRID), Math.min(threads, BLOCK));
        } catch (Throwable t) {
            throw new IllegalStateException("emulated " + kernel.symbol() + " failed", t);
        }
    }

    private static double load(DType t, long address, long i) {
        return t == DType.F32 ? ALL.get(ValueLayout.JAVA_FLOAT, address + 4 * i) : ALL.get(ValueLayout.JAVA_DOUBLE, address + 8 * i);
    }

    private static void store(DType t, long address, long i, double v) {
        if (t == DType.F32) {
            ALL.set(ValueLayout.JAVA_FLOAT, address + 4 * i, (float) v);
        } else {
            ALL.set(ValueLayout.JAVA_DOUBLE, address + 8 * i, v);
        }
    }

    /** Column-major, as cuBLAS: op(A)[i][p] is A[i + p lda] or, transposed, A[p + i lda]. */
    @Override
    public void gemm(GemmCall g) {
        DType t = g.dtype();
        for (int q = 0; q < g.batch(); q++) {
            long a = g.a() + q * g.strideA() * t.byteSize();
            long b = g.b() + q * g.strideB() * t.byteSize();
            long c = g.c() + q * g.strideC() * t.byteSize();
            for (int j = 0; j < g.n(); j++) {
                for (int i = 0; i < g.m(); i++) {
                    double sum = 0;
                    for (int p = 0; p < g.k(); p++) {
                        double x = load(t, a, g.transA() ? p + (long) i * g.lda() : i + (long) p * g.lda());
                        double y = load(t, b, g.transB() ? j + (long) p * g.ldb() : p + (long) j * g.ldb());
                        sum += x * y;
                    }
                    long ci = i + (long) j * g.ldc();
                    double prior = g.beta() == 0 ? 0 : g.beta() * load(t, c, ci);
                    store(t, c, ci, g.alpha() * sum + prior);
                }
            }
        }
    }

    @Override
    public void axpy(DType t, long n, double alpha, long x, long y) {
        double a = t == DType.F32 ? (float) alpha : alpha;
        for (long i = 0; i < n; i++) {
            store(t, y, i, load(t, y, i) + a * load(t, x, i));
        }
    }

    @Override
    public int multiprocessors() {
        return 1;
    }

    @Override
    public String describe() {
        return "kernels: g++ CPU emulation, " + GRID + " blocks of " + BLOCK + " threads";
    }
}
