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
 * The MLP's matrix products (784-256-128-10): {@code [batch, in] x [in, out]} for each layer, F32, 2 * batch * in * out
 * FLOPs. {@code layer} is {@code INxOUT}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class GemmShapeBench implements Workload {
    @Param({"reference", "cpu-vector", "openblas"})
    public String backend;

    @Param({"784x256", "256x128", "128x10"})
    public String layer;

    @Param({"1", "128", "256"})
    public int batch;

    private Backend target;
    private Tensor x;
    private Tensor w;

    @Setup(Level.Trial)
    public void setup() {
        target = Backends.get(backend);
        int[] io = dims(layer);
        try (var _ = Backends.use(target)) {
            x = Tensor.rand(Shape.of(batch, io[0]), 1);
            w = Tensor.rand(Shape.of(io[0], io[1]), 2);
        }
    }

    @Benchmark
    public Tensor gemm() {
        try (var _ = Backends.use(target); var _ = MemoryScope.open("gemm")) {
            Tensor y = x.matmul(w);
            target.synchronize();
            return y;
        }
    }

    @Override
    public Work work(String method) {
        int[] io = dims(layer);
        return Work.flops(2.0 * batch * io[0] * io[1]);
    }

    static int[] dims(String layer) {
        String[] parts = layer.split("x");
        if (parts.length != 2) {
            throw new IllegalArgumentException("GemmShapeBench layer must be INxOUT (e.g. 784x256), got '" + layer + "'");
        }
        return new int[] {Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim())};
    }
}
