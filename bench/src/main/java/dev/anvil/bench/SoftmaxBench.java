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
 * Softmax over the last axis of {@code [256, n]} F32, as {@code anvil bench --op softmax}: reads and writes
 * 4 * 256n bytes each.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class SoftmaxBench implements Workload {
    /** Rows of the input; the size parameter is the row length. */
    public static final int ROWS = 256;

    @Param({"reference", "cpu-vector", "openblas"})
    public String backend;

    @Param({"1024", "4096"})
    public int size;

    private Backend target;
    private Tensor x;

    @Setup(Level.Trial)
    public void setup() {
        target = Backends.get(backend);
        try (var _ = Backends.use(target)) {
            x = Tensor.randn(Shape.of(ROWS, size), 1);
        }
    }

    @Benchmark
    public Tensor softmax() {
        try (var _ = Backends.use(target); var _ = MemoryScope.open("softmax")) {
            Tensor y = x.softmax(-1);
            target.synchronize();
            return y;
        }
    }

    @Override
    public Work work(String method) {
        return Work.bytes(2.0 * Float.BYTES * ROWS * size);
    }
}
