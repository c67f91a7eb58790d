package dev.anvil.bench;

import dev.anvil.Autograd;
import dev.anvil.Backends;
import dev.anvil.MemoryScope;
import dev.anvil.Shape;
import dev.anvil.Tensor;
import dev.anvil.nn.Linear;
import dev.anvil.quantize.QuantizedLinear;
import dev.anvil.spi.Backend;
import java.util.SplittableRandom;
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
 * The int8 product of post-training quantization next to the F32 one it replaces, on the same shapes: a layer
 * of {@code size} inputs and outputs applied to {@code batch} rows ({@code [batch, size] x [size, size]^T} plus
 * bias). {@code int8} is {@link QuantizedLinear} (activation quantization, int8 x int8 -> int32 product, fused
 * rescale and bias); {@code f32} is {@link Linear}. Work per call: {@code batch * size^2} multiply-adds.
 *
 * <p>As a {@link Workload} it declares {@code 2 * batch * size^2} operations, so {@code anvil report} shows it.
 *
 * <p>{@code bench/run -p backend=cpu-vector -p batch=256 Int8GemmBench} compares the two in one run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class Int8GemmBench implements Workload {
    @Param({"reference", "cpu-vector", "openblas"})
    public String backend;

    @Param({"256", "512", "1024"})
    public int size;

    @Param({"1", "256"})
    public int batch;

    private Backend target;
    private Linear f32;
    private QuantizedLinear int8;
    private Tensor x;

    /** Two operations per multiply-add, int8 or F32, so the report shows both in G(FL)OP/s on one scale. */
    @Override
    public Work work(String method) {
        return Work.flops(2.0 * batch * size * size);
    }

    @Setup(Level.Trial)
    public void setup() {
        target = Backends.get(backend);
        try (var _ = Backends.use(target)) {
            f32 = new Linear(size, size, new SplittableRandom(1));
            x = Tensor.randn(Shape.of(batch, size), 2);
            // the input's step as calibration would choose it: its largest magnitude over 127
            int8 = QuantizedLinear.of(f32, (float) (x.abs().max().item() / 127));
        }
    }

    @Benchmark
    public Tensor int8() {
        try (var _ = Backends.use(target); var _ = Autograd.noGrad(); var _ = MemoryScope.open("int8")) {
            return int8.forward(x);
        }
    }

    @Benchmark
    public Tensor f32() {
        try (var _ = Backends.use(target); var _ = Autograd.noGrad(); var _ = MemoryScope.open("f32")) {
            return f32.forward(x);
        }
    }
}
