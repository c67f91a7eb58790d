package dev.anvil.bench;

import dev.anvil.Backends;
import dev.anvil.Shape;
import dev.anvil.Tensor;
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
 * {@code cblas_sgemm} called directly on buffers of the openblas backend ({@code openblas-raw} in
 * {@code anvil bench}): set beside {@link GemmBench} with {@code backend=openblas}, the ratio is the
 * backend's overhead.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class GemmRawBench {
    @Param({"256", "512", "1024"})
    public int size;

    private Runnable call;
    private Tensor c;

    @Setup(Level.Trial)
    public void setup() {
        try (var _ = Backends.use("openblas")) {
            Tensor a = Tensor.rand(Shape.of(size, size), 1);
            Tensor b = Tensor.rand(Shape.of(size, size), 2);
            c = Tensor.zeros(size, size);
            call = OpenBlasRaw.sgemm(a, b, c);
        }
    }

    @Benchmark
    public Tensor openblasRaw() {
        call.run();
        return c;
    }
}
