package dev.anvil.bench;

import dev.anvil.Backends;
import dev.anvil.MemoryScope;
import dev.anvil.Shape;
import dev.anvil.Tensor;
import dev.anvil.spi.Backend;
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
 * Batched F32 matmul {@code [batch, n, n] x [batch, n, n]} (the SPI's batch dimension, as attention and
 * convolution use it): 2 * batch * n^3 FLOPs.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class BatchedGemmBench implements Workload {
    @Param({"reference", "cpu-vector", "openblas"})
    public String backend;

    @Param({"32"})
    public int batch;

    @Param({"64", "128", "256"})
    public int size;

    private Backend target;
    private Tensor a;
    private Tensor b;

    @Setup(Level.Trial)
    public void setup() {
        target = Backends.get(backend);
        try (var _ = Backends.use(target)) {
            a = Tensor.rand(Shape.of(batch, size, size), 1);
            b = Tensor.rand(Shape.of(batch, size, size), 2);
        }
    }

    @Benchmark
    public Tensor bmm() {
        try (var _ = Backends.use(target); var _ = MemoryScope.open("bmm")) {
            Tensor c = a.matmul(b);
            target.synchronize();
            return c;
        }
    }

    @Override
    public Work work(String method) {
        return Work.flops(2.0 * batch * size * size * size);
    }
}
