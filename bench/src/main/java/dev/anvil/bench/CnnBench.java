package dev.anvil.bench;

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
 * One training step (forward, backward, Adam) of the CNN ({@code Models.cnn}: conv 1-32, pool, conv 32-64, pool,
 * dense 3136-128-10) on a batch of 28x28 images, as the {@code cnn} model of {@code anvil train}. Work:
 * {@code batch} samples and the FLOPs of the matrix products ({@link ModelFlops}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class CnnBench implements Workload {
    @Param({"reference", "cpu-vector", "openblas"})
    public String backend;

    @Param({"64"})
    public int batch;

    private Backend target;
    private Sequential cnn;
    private Adam adam;
    private Tensor x;
    private Tensor y;

    @Setup(Level.Trial)
    public void setup() {
        target = Backends.get(backend);
        try (var _ = Backends.use(target)) {
            cnn = Models.cnn(10, 1);
            adam = new Adam(cnn.parameters(), 1e-3);
            x = Tensor.rand(Shape.of(batch, 1, 28, 28), 1);
            y = Tensor.randint(0, 10, Shape.of(batch), 2);
        }
    }

    @Benchmark
    public double trainStep() {
        try (var _ = Backends.use(target); var _ = MemoryScope.open("step")) {
            adam.zeroGrad();
            Tensor loss = Losses.crossEntropy(cnn.forward(x), y);
            loss.backward();
            adam.step();
            double value = loss.item();
            target.synchronize();
            return value;
        }
    }

    @Override
    public Work work(String method) {
        return Work.flops(ModelFlops.cnnTrain() * batch).withSamples(batch);
    }
}
