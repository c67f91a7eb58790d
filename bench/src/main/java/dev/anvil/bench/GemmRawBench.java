package dev.anvil.bench;

import dev.anvil.Backends;
import dev.anvil.Shape;
import dev.anvil.Tensor;
import dev.anvil.backend.cuda.CudaRaw;
import dev.anvil.backend.openblas.OpenBlasRaw;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The library's GEMM called directly on a backend's buffers, as {@code anvil bench}'s raw rows:
 * {@code openblas-raw} is {@code cblas_sgemm} on the openblas backend, {@code cuda-raw} is {@code cublasSgemm}
 * (then a stream sync) on the cuda backend. Set beside {@link GemmBench} on that backend, the ratio is the
 * backend's overhead. 2n^3 FLOPs.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class GemmRawBench implements Workload {
    /** The library and backend: {@code openblas-raw} or {@code cuda-raw}. */
    @Param({"openblas-raw"})
    public String backend;

    @Param({"256", "512", "1024"})
    public int size;

    private Runnable call;
    private Tensor c;

    @Setup(Level.Trial)
    public void setup() {
        String on = switch (backend) {
            case "openblas-raw" -> "openblas";
            case "cuda-raw" -> "cuda";
            default -> throw new IllegalArgumentException("GemmRawBench backend must be openblas-raw or cuda-raw, got '"
                    + backend + "'");
        };
        try (var _ = Backends.use(on)) {
            Tensor a = Tensor.rand(Shape.of(size, size), 1);
            Tensor b = Tensor.rand(Shape.of(size, size), 2);
            c = Tensor.zeros(size, size);
            call = on.equals("cuda") ? CudaRaw.sgemm(a, b, c) : OpenBlasRaw.sgemm(a, b, c);
        }
    }

    @Benchmark
    public Tensor gemm() {
        call.run();
        return c;
    }

    @Override
    public Work work(String method) {
        return Work.flops(2.0 * size * size * size);
    }
}
