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
 * Elementwise F32 ops over n elements, as {@code anvil bench --op add}: {@code a + b} and {@code a * b} read two
 * arrays and write one (12n bytes), {@code exp(a)} reads one and writes one (8n bytes).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class ElementwiseBench implements Workload {
    @Param({"reference", "cpu-vector", "openblas"})
    public String backend;

    @Param({"1048576", "16777216"})
    public int size;

    private Backend target;
    private Tensor a;
    private Tensor b;

    @Setup(Level.Trial)
    public void setup() {
        target = Backends.get(backend);
        try (var _ = Backends.use(target)) {
            a = Tensor.rand(Shape.of(size), 1);
            b = Tensor.rand(Shape.of(size), 2);
        }
    }

    @Benchmark
    public Tensor add() {
        try (var _ = Backends.use(target); var _ = MemoryScope.open("add")) {
            Tensor c = a.add(b);
            target.synchronize();
            return c;
        }
    }

    @Benchmark
    public Tensor mul() {
        try (var _ = Backends.use(target); var _ = MemoryScope.open("mul")) {
            Tensor c = a.mul(b);
            target.synchronize();
            return c;
        }
    }

    @Benchmark
    public Tensor exp() {
        try (var _ = Backends.use(target); var _ = MemoryScope.open("exp")) {
            Tensor c = a.exp();
            target.synchronize();
            return c;
        }
    }

    @Override
    public Work work(String method) {
        return Work.bytes((method.equals("exp") ? 2.0 : 3.0) * Float.BYTES * size);
    }
}
