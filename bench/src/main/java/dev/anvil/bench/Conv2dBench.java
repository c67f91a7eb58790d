package dev.anvil.bench;

import dev.anvil.Autograd;
import dev.anvil.Backends;
import dev.anvil.MemoryScope;
import dev.anvil.Shape;
import dev.anvil.Tensor;
import dev.anvil.nn.Conv2d;
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
 * Conv2d forward (3x3, stride 1, padding 1) under noGrad, the CNN's two conv layers: {@code layer} is
 * {@code INxOUTxHW} ({@code 1x32x28}: 1 to 32 channels on 28x28; {@code 32x64x14}: 32 to 64 on 14x14). Work: the
 * im2col product, 2 * batch * out * in * 9 * h * w FLOPs.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class Conv2dBench implements Workload {
    @Param({"reference", "cpu-vector", "openblas"})
    public String backend;

    @Param({"1x32x28", "32x64x14"})
    public String layer;

    @Param({"64"})
    public int batch;

    private Backend target;
    private Conv2d conv;
    private Tensor x;

    @Setup(Level.Trial)
    public void setup() {
        target = Backends.get(backend);
        int[] d = dims(layer);
        try (var _ = Backends.use(target)) {
            conv = new Conv2d(d[0], d[1], 3, 1, 1, new SplittableRandom(1));
            x = Tensor.randn(Shape.of(batch, d[0], d[2], d[2]), 2);
        }
    }

    @Benchmark
    public Tensor forward() {
        try (var _ = Backends.use(target); var _ = Autograd.noGrad(); var _ = MemoryScope.open("conv")) {
            Tensor y = conv.forward(x);
            target.synchronize();
            return y;
        }
    }

    @Override
    public Work work(String method) {
        int[] d = dims(layer);
        return Work.flops(2.0 * batch * d[1] * d[0] * 9 * d[2] * d[2]);
    }

    static int[] dims(String layer) {
        String[] p = layer.split("x");
        if (p.length != 3) {
            throw new IllegalArgumentException("Conv2dBench layer must be INxOUTxHW (e.g. 32x64x14), got '" + layer + "'");
        }
        return new int[] {Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim()), Integer.parseInt(p[2].trim())};
    }
}
