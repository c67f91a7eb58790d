package dev.anvil.cli;

import dev.anvil.Autograd;
import dev.anvil.MemoryScope;
import dev.anvil.Shape;
import dev.anvil.Tensor;
import dev.anvil.data.ArrayDataset;
import dev.anvil.data.DataLoader;
import dev.anvil.data.FashionMnist;
import dev.anvil.nn.Sequential;
import dev.anvil.optim.Adam;
import dev.anvil.train.Models;
import dev.anvil.train.Trainer;
import java.util.Arrays;

/**
 * Whole-model cases of {@code anvil bench}: a training epoch of the MLP or the CNN (forward, backward and
 * Adam on Fashion-MNIST: the full set when Debian's package is installed, else the embedded subset), and
 * MLP inference latency under {@code noGrad}.
 */
final class ModelBench {
    /** Throughput and latency of one case. */
    record Figures(double samplesPerSecond, double millis, Double p50Micros, Double p99Micros, String data) {
    }

    private ModelBench() {
    }

    static ArrayDataset trainingData() {
        return FashionMnist.installed().map(d -> FashionMnist.load(d).train()).orElseGet(() -> FashionMnist.embedded().train());
    }

    /** One warm-up epoch, then the median of {@code epochs} timed epochs. */
    static Figures trainEpoch(boolean cnn, int batchSize, int epochs) {
        ArrayDataset data = trainingData();
        Sequential model = cnn ? Models.cnn(10, 1) : Models.mlp(784, new int[] {256, 128}, 10, 1);
        DataLoader loader = new DataLoader(data, batchSize).shuffle(1).prefetch(true);
        Trainer trainer = new Trainer(model, new Adam(model.parameters(), 1e-3)).epochs(epochs + 1);
        Trainer.Result r = trainer.fit(loader, null);
        double[] seconds = r.epochs().stream().skip(1).mapToDouble(Trainer.EpochStats::seconds).sorted().toArray();
        double median = seconds[seconds.length / 2];
        return new Figures(data.size() / median, median * 1000, null, null, data.size() + " examples");
    }

    /**
     * How long mlp-infer times calls after warming up: 3 s, as bench/pytorch_baseline.py does for PyTorch, so the
     * two p50s rest on as many seconds of a shared machine (half a second, ~250 calls at batch 256, let one busy
     * spell of another job decide the median).
     */
    static final long INFER_WINDOW_NANOS = 3_000_000_000L;

    /**
     * Latency of the MLP's forward pass on {@code batch} examples: p50 and p99 of the calls timed during
     * {@code windowNanos} (at least 100 calls), and samples/s at the p50.
     */
    static Figures mlpInfer(int batch, long windowNanos) {
        Sequential model = Models.mlp(784, new int[] {256, 128}, 10, 1);
        model.eval();
        Tensor x = Tensor.rand(Shape.of(batch, 784), 3);
        try (var off = Autograd.noGrad()) {
            // at least 1 s, at most 10 s: C2 takes seconds to compile every Vector API kernel of the pass
            WarmUp.untilSteady(() -> {
                try (MemoryScope s = MemoryScope.open("infer")) {
                    model.forward(x).argmax(1);
                }
            }, 1_000_000_000L, 10_000_000_000L, 250_000_000L);
            int n = 0;
            long[] times = new long[1 << 20];
            long end = System.nanoTime() + windowNanos;
            while ((System.nanoTime() < end || n < 100) && n < times.length) {
                long t0 = System.nanoTime();
                try (MemoryScope s = MemoryScope.open("infer")) {
                    model.forward(x).argmax(1);
                }
                times[n++] = System.nanoTime() - t0;
            }
            long[] sorted = Arrays.copyOf(times, n);
            Arrays.sort(sorted);
            double p50 = sorted[n / 2] / 1e3;
            double p99 = sorted[Math.min(n - 1, (int) Math.ceil(n * 0.99) - 1)] / 1e3;
            return new Figures(batch / (p50 / 1e6), p50 / 1e3, p50, p99, n + " calls");
        }
    }
}
