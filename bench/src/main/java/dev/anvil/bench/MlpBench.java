package dev.anvil.bench;

import dev.anvil.Autograd;
import dev.anvil.Backends;
import dev.anvil.MemoryScope;
import dev.anvil.Shape;
import dev.anvil.Tensor;
import dev.anvil.nn.Losses;
import dev.anvil.nn.Sequential;
import dev.anvil.optim.Adam;
import dev.anvil.spi.Backend;
import dev.anvil.train.Models;
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
 * The training issue's MLP (784-256-128-10): one training step (forward, backward, Adam) on a batch, and
 * inference under noGrad, as {@code anvil bench --op mlp-train-epoch,mlp-infer}. Work: {@code batch} samples,
 * and the FLOPs of the matrix products ({@link ModelFlops}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class MlpBench implements Workload {
    @Param({"reference", "cpu-vector", "openblas"})
    public String backend;

    @Param({"1", "128", "256"})
    public int batch;

    private Backend target;
    private Sequential mlp;
    private Adam adam;
    private Tensor x;
    private Tensor y;

    @Setup(Level.Trial)
    public void setup() {
        target = Backends.get(backend);
        try (var _ = Backends.use(target)) {
            mlp = Models.mlp(784, new int[] {256, 128}, 10, 1);
            adam = new Adam(mlp.parameters(), 1e-3);
            x = Tensor.rand(Shape.of(batch, 784), 1);
            y = Tensor.randint(0, 10, Shape.of(batch), 2);
        }
    }

    @Benchmark
    public double trainStep() {
        try (var _ = Backends.use(target); var _ = MemoryScope.open("step")) {
            adam.zeroGrad();
            Tensor loss = Losses.crossEntropy(mlp.forward(x), y);
            loss.backward();
            adam.step();
            double value = loss.item();
            target.synchronize();
            return value;
        }
    }

    @Benchmark
    public long infer() {
        try (var _ = Backends.use(target); var _ = Autograd.noGrad(); var _ = MemoryScope.open("infer")) {
            return mlp.forward(x).argmax(1).toLongArray()[0];
        }
    }

    @Override
    public Work work(String method) {
        double perSample = method.equals("trainStep") ? ModelFlops.mlpTrain() : ModelFlops.mlpForward();
        return Work.flops(perSample * batch).withSamples(batch);
    }
}
