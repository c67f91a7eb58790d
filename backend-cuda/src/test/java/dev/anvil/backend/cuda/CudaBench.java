package dev.anvil.backend.cuda;

import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.cublasSgemm_v2;
import static org.bytedeco.cuda.global.cudart.cudaEventCreate;
import static org.bytedeco.cuda.global.cudart.cudaEventElapsedTime;
import static org.bytedeco.cuda.global.cudart.cudaEventRecord;
import static org.bytedeco.cuda.global.cudart.cudaEventSynchronize;

import dev.anvil.Backends;
import dev.anvil.DType;
import dev.anvil.MemoryScope;
import dev.anvil.Shape;
import dev.anvil.Tensor;
import dev.anvil.spi.Availability;
import dev.anvil.spi.BinaryOp;
import dev.anvil.spi.GemmSpec;
import dev.anvil.spi.Layout;
import dev.anvil.spi.Storage;
import dev.anvil.spi.View;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.bytedeco.cuda.cudart.CUevent_st;
import org.bytedeco.javacpp.FloatPointer;

/**
 * The GPU benchmark gpu-check runs (until {@code anvil bench} exists): GEMM through the backend and through
 * cuBLAS directly on the same device buffers ("cuda-raw"), elementwise add against a device-to-device copy,
 * and host transfers. Each measurement is timed with CUDA events around a loop, in alternating rounds, best
 * round kept. Writes JSON to the path given (default gpu-results/bench.json).
 */
public final class CudaBench {
    private final CudaBackend cuda;
    private final CudaRuntime rt;
    private final List<String> results = new ArrayList<>();
    private final CUevent_st start = new CUevent_st();
    private final CUevent_st stop = new CUevent_st();

    private CudaBench(CudaBackend cuda) {
        this.cuda = cuda;
        this.rt = (CudaRuntime) cuda.deviceState().rt;
        rt.enter();
        Cuda.check(cudaEventCreate(start), "cudaEventCreate");
        Cuda.check(cudaEventCreate(stop), "cudaEventCreate");
    }

    /** Milliseconds per iteration of {@code body}, timed on the device over {@code iters} iterations. */
    private double time(int iters, Runnable body) {
        Cuda.check(cudaEventRecord(start, rt.stream), "cudaEventRecord");
        for (int i = 0; i < iters; i++) {
            body.run();
        }
        Cuda.check(cudaEventRecord(stop, rt.stream), "cudaEventRecord");
        Cuda.check(cudaEventSynchronize(stop), "cudaEventSynchronize");
        float[] ms = {0};
        Cuda.check(cudaEventElapsedTime(ms, start, stop), "cudaEventElapsedTime");
        return ms[0] / iters;
    }

    private static String json(String key, Object v) {
        String value = v instanceof String s ? "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\""
                : v instanceof Double d ? String.format(Locale.ROOT, "%.4f", d) : String.valueOf(v);
        return "\"" + key + "\": " + value;
    }

    private void record(String... fields) {
        String line = "{" + String.join(", ", fields) + "}";
        results.add(line);
        System.out.println("[bench] " + line);
    }

    private void gemm(int n, int iters, int rounds) {
        try (MemoryScope scope = MemoryScope.open("bench gemm"); var u = Backends.use(cuda)) {
            Tensor a = Tensor.randn(Shape.of(n, n), 1);
            Tensor b = Tensor.randn(Shape.of(n, n), 2);
            Tensor c = Tensor.zeros(n, n);
            long nn = (long) n * n;
            GemmSpec spec = new GemmSpec(DType.F32, 1, n, n, n, 1, 0, a.storage(), 0, n, nn, false,
                    b.storage(), 0, n, nn, false, c.storage(), 0, n, nn);
            long pa = Operands.base(a.storage());
            long pb = Operands.base(b.storage());
            long pc = Operands.base(c.storage());
            FloatPointer alpha = new FloatPointer(1).put(1f);
            FloatPointer beta = new FloatPointer(1).put(0f);
            Runnable viaBackend = () -> cuda.gemm(spec);
            Runnable raw = () -> {
                synchronized (rt.blas) { // row-major C = A B is column-major C^T = B^T A^T
                    Cuda.checkBlas(cublasSgemm_v2(rt.blas.handle(), CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, alpha,
                            new FloatPointer(Cuda.at(pb)), n, new FloatPointer(Cuda.at(pa)), n, beta,
                            new FloatPointer(Cuda.at(pc)), n), "cublasSgemm");
                }
            };
            time(3, viaBackend);
            time(3, raw);
            double best = Double.MAX_VALUE;
            double bestRaw = Double.MAX_VALUE;
            for (int r = 0; r < rounds; r++) {
                best = Math.min(best, time(iters, viaBackend));
                bestRaw = Math.min(bestRaw, time(iters, raw));
            }
            double flops = 2.0 * n * n * n;
            double matmul = Double.MAX_VALUE;
            for (int r = 0; r < rounds; r++) {
                matmul = Math.min(matmul, time(iters, () -> {
                    try (MemoryScope s = MemoryScope.open("bench matmul")) {
                        a.matmul(b);
                    }
                }));
            }
            double g = flops / (best * 1e6);
            double gr = flops / (bestRaw * 1e6);
            double gm = flops / (matmul * 1e6);
            record(json("bench", "gemm"), json("dtype", "F32"), json("n", n), json("cuda_ms", best), json("cuda_gflops", g),
                    json("cuda_raw_ms", bestRaw), json("cuda_raw_gflops", gr), json("cuda_vs_raw", g / gr),
                    json("cuda_matmul_gflops", gm), json("target", n >= 4096 ? "cuda >= 0.95 x cuda-raw" : "none"),
                    json("meets_target", n < 4096 || g / gr >= 0.95));
            alpha.close();
            beta.close();
        }
    }

    /**
     * The training issue's MLP recipe (784-256-128-10, Adam 1e-3) for one timed epoch after a warm-up epoch, on
     * the embedded 6,000-image subset (the full set is not on the GPU machine): samples per second.
     */
    private void mlpEpoch(int batch) {
        try (var u = Backends.use(cuda)) {
            dev.anvil.data.ArrayDataset data = dev.anvil.data.FashionMnist.embedded().train();
            dev.anvil.nn.Sequential mlp = dev.anvil.train.Models.mlp(784, new int[] {256, 128}, 10, 1);
            var trainer = new dev.anvil.train.Trainer(mlp, new dev.anvil.optim.Adam(mlp.parameters(), 1e-3)).epochs(3);
            var r = trainer.fit(new dev.anvil.data.DataLoader(data, batch).shuffle(1).prefetch(true), null);
            double best = Math.min(r.epochs().get(1).seconds(), r.epochs().get(2).seconds());
            record(json("bench", "mlp_train_epoch"), json("batch", batch), json("examples", data.size()),
                    json("seconds", best), json("samples_per_second", data.size() / best),
                    json("loss_after_3_epochs", r.last().loss()));
        }
    }

    /** The public raw path of anvil bench (CudaRaw) against matmul through the API, both synchronised. */
    private void rawVsBackendThroughPublicApi(int n) {
        try (MemoryScope scope = MemoryScope.open("bench raw"); var u = Backends.use(cuda)) {
            Tensor a = Tensor.randn(Shape.of(n, n), 1);
            Tensor b = Tensor.randn(Shape.of(n, n), 2);
            Tensor c = Tensor.zeros(n, n);
            Runnable raw = CudaRaw.sgemm(a, b, c);
            Runnable api = () -> {
                try (MemoryScope s = MemoryScope.open("api")) {
                    a.matmul(b);
                    cuda.synchronize();
                }
            };
            for (int i = 0; i < 3; i++) {
                raw.run();
                api.run();
            }
            long bestRaw = Long.MAX_VALUE;
            long bestApi = Long.MAX_VALUE;
            for (int r = 0; r < 20; r++) {
                long t0 = System.nanoTime();
                raw.run();
                long t1 = System.nanoTime();
                api.run();
                long t2 = System.nanoTime();
                bestRaw = Math.min(bestRaw, t1 - t0);
                bestApi = Math.min(bestApi, t2 - t1);
            }
            double flops = 2.0 * n * n * n;
            float[] check = c.slice(0, 0, 1).toFloatArray();
            float[] expect = a.slice(0, 0, 1).matmul(b).toFloatArray();
            double err = 0;
            for (int i = 0; i < check.length; i++) {
                err = Math.max(err, Math.abs(check[i] - expect[i]));
            }
            record(json("bench", "wallclock_gemm"), json("n", n), json("api_gflops", flops / bestApi),
                    json("raw_gflops", flops / bestRaw), json("api_vs_raw", (double) bestRaw / bestApi),
                    json("raw_result_max_error", err));
        }
    }

    private void add(long n, int iters, int rounds) {
        long bytes = n * 4;
        Storage a = cuda.allocate(bytes, false);
        Storage b = cuda.allocate(bytes, false);
        Storage out = cuda.allocate(bytes, false);
        try {
            Layout l = Layout.contiguous((int) n);
            View va = new View(a, DType.F32, l);
            View vb = new View(b, DType.F32, l);
            View vo = new View(out, DType.F32, l);
            cuda.fill(va, 1);
            cuda.fill(vb, 2);
            Runnable add = () -> cuda.binary(BinaryOp.ADD, va, vb, vo);
            long pa = Operands.base(a);
            long po = Operands.base(out);
            Runnable copy = () -> rt.copyOnDevice(po, pa, bytes);
            time(2, add);
            time(2, copy);
            double bestAdd = Double.MAX_VALUE;
            double bestCopy = Double.MAX_VALUE;
            for (int r = 0; r < rounds; r++) {
                bestCopy = Math.min(bestCopy, time(iters, copy));
                bestAdd = Math.min(bestAdd, time(iters, add));
            }
            float[] check = new float[2];
            cuda.copyToHost(new View(out, DType.F32, new Layout(new int[] {1}, new long[] {1}, 0)),
                    MemorySegment.ofArray(check).asSlice(0, 4));
            cuda.copyToHost(new View(out, DType.F32, new Layout(new int[] {1}, new long[] {1}, n - 1)),
                    MemorySegment.ofArray(check).asSlice(4, 4));
            double addGbs = 3.0 * bytes / (bestAdd * 1e6);
            double copyGbs = 2.0 * bytes / (bestCopy * 1e6);
            record(json("bench", "add"), json("dtype", "F32"), json("elements", n), json("add_ms", bestAdd),
                    json("add_gbs", addGbs), json("copy_d2d_ms", bestCopy), json("copy_d2d_gbs", copyGbs),
                    json("add_vs_copy", addGbs / copyGbs), json("result_ok", check[0] == 3f && check[1] == 3f),
                    json("target", "add >= 0.70 x device-to-device copy bandwidth"), json("meets_target", addGbs / copyGbs >= 0.70));
        } finally {
            a.release("bench");
            b.release("bench");
            out.release("bench");
        }
    }

    private void transfers(long bytes, int iters) {
        Storage d = cuda.allocate(bytes, false);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(bytes, 64);
            host.fill((byte) 1);
            View v = new View(d, DType.U8, Layout.contiguous((int) bytes));
            cuda.copyFromHost(host, v);
            cuda.copyToHost(v, host);
            long t0 = System.nanoTime();
            for (int i = 0; i < iters; i++) {
                cuda.copyFromHost(host, v);
            }
            cuda.copyToHost(new View(d, DType.U8, Layout.contiguous(1)), host.asSlice(0, 1)); // waits for the uploads
            double up = (System.nanoTime() - t0) / 1e6 / iters;
            t0 = System.nanoTime();
            for (int i = 0; i < iters; i++) {
                cuda.copyToHost(v, host);
            }
            double down = (System.nanoTime() - t0) / 1e6 / iters;
            boolean ok = host.get(ValueLayout.JAVA_BYTE, bytes - 1) == 1;
            record(json("bench", "transfer"), json("bytes", bytes), json("host_to_device_gbs", bytes / (up * 1e6)),
                    json("device_to_host_gbs", bytes / (down * 1e6)), json("result_ok", ok));
        } finally {
            d.release("bench");
        }
    }

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "gpu-results/bench.json");
        if (out.getParent() != null) {
            Files.createDirectories(out.getParent());
        }
        Availability a = Gpu.availability();
        if (!a.available()) {
            System.out.println("no GPU: " + a.reason());
            Files.writeString(out, "{" + json("available", false) + ", " + json("reason", a.reason()) + "}\n");
            return;
        }
        long t0 = System.nanoTime();
        CudaBackend cuda = Gpu.backend();
        double startMs = (System.nanoTime() - t0) / 1e6;
        CudaBench bench = new CudaBench(cuda);
        List<String> errors = new ArrayList<>();
        Runnable[] steps = {
            () -> bench.gemm(1024, 50, 3),
            () -> bench.gemm(4096, 10, 3),
            () -> bench.add(256L << 20, 10, 3),
            () -> bench.transfers(256L << 20, 4),
            () -> bench.mlpEpoch(128),
            () -> bench.mlpEpoch(1024),
            () -> bench.rawVsBackendThroughPublicApi(2048),
        };
        for (Runnable step : steps) {
            try {
                step.run();
            } catch (RuntimeException | OutOfMemoryError e) {
                errors.add(e.toString());
                System.out.println("[bench] failed: " + e);
            }
        }
        StringBuilder sb = new StringBuilder("{\n  ").append(json("available", true)).append(",\n  ")
                .append(json("device", cuda.device().name())).append(",\n  ")
                .append(json("details", cuda.device().details())).append(",\n  ")
                .append(json("peak_gflops_estimate", cuda.device().peakGflops())).append(",\n  ")
                .append(json("backend_start_ms", startMs)).append(",\n  ")
                .append(json("java", System.getProperty("java.runtime.version"))).append(",\n  ")
                .append(json("when", Instant.now().toString())).append(",\n  ")
                .append("\"results\": [\n    ").append(String.join(",\n    ", bench.results)).append("\n  ],\n  ")
                .append("\"errors\": [").append(String.join(", ", errors.stream().map(e -> "\"" + e.replace("\"", "'") + "\"").toList()))
                .append("]\n}\n");
        Files.writeString(out, sb.toString());
        System.out.println("[bench] wrote " + out);
    }
}
