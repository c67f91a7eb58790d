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
 * Square F32 matmul {@code [n, n] x [n, n]}, as {@code anvil bench --op gemm}: 2n^3 FLOPs.
 * Inputs are allocated once per trial outside any scope; each call's output is freed by its own scope.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class GemmBench implements Workload {
    @Param({"reference", "cpu-vector", "openblas"})
    public String backend;

    @Param({"256", "512", "1024"})
    public int size;

    private Backend target;
    private Tensor a;
    private Tensor b;

    @Setup(Level.Trial)
    public void setup() {
        target = Backends.get(backend);
        try (var _ = Backends.use(target)) {
            a = Tensor.rand(Shape.of(size, size), 1);
            b = Tensor.rand(Shape.of(size, size), 2);
        }
    }

    @Benchmark
    public Tensor gemm() {
        try (var _ = Backends.use(target); var _ = MemoryScope.open("gemm")) {
            Tensor c = a.matmul(b);
            target.synchronize();
            return c;
        }
    }

    @Override
    public Work work(String method) {
        return Work.flops(2.0 * size * size * size);
    }
}
