package dev.anvil.train;

import dev.anvil.Backends;
import dev.anvil.DType;
import dev.anvil.MemoryScope;
import dev.anvil.Tensor;
import dev.anvil.data.Batch;
import dev.anvil.data.DataLoader;
import dev.anvil.data.Dataset;
import dev.anvil.nn.Losses;
import dev.anvil.nn.Module;
import dev.anvil.optim.GradClip;
import dev.anvil.optim.LrScheduler;
import dev.anvil.optim.Optimizer;
import dev.anvil.optim.ReduceLrOnPlateau;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The training loop for classifiers: one memory scope per step (native memory stays flat), cross-entropy
 * loss, optional gradient clipping, a learning-rate schedule stepped per batch, evaluation after each
 * epoch, listeners for progress, and atomic checkpoints that resume to bitwise the same result.
 *
 * <pre>{@code
 * Module mlp = Models.mlp(784, new int[] {256, 128}, 10, 42);
 * Optimizer opt = new Adam(mlp.parameters(), 1e-3);
 * Trainer.Result r = new Trainer(mlp, opt).epochs(10).fit(new DataLoader(train, 128).shuffle(42), test);
 * System.out.println(r.epochs().getLast().testAccuracy());
 * }</pre>
 */
public final class Trainer {
    /** What happened in one epoch. */
    public record EpochStats(int epoch, double loss, double trainAccuracy, double testAccuracy, double lr, double seconds,
                             double samplesPerSecond, long liveBytes) {
    }

    /** The whole run. */
    public record Result(List<EpochStats> epochs, String backend, long seconds) {
        public EpochStats last() {
            return epochs.get(epochs.size() - 1);
        }
    }

    /**
     * The loss minimised for one batch, from the model's logits; {@link Trainer} uses cross-entropy on the labels
     * (with its label smoothing) unless one is set with {@link #objective}. {@link Distillation} is one.
     */
    @FunctionalInterface
    public interface Objective {
        /** The scalar loss of {@code batch}, whose forward pass gave {@code logits}. */
        Tensor loss(Tensor logits, Batch batch);
    }

    /** Progress callbacks; all optional. */
    public interface Listener {
        default void epochStart(int epoch, int batches) {
        }

        default void batchDone(int epoch, int batch, int batches, double loss, double samplesPerSecond) {
        }

        default void epochDone(EpochStats stats) {
        }
    }

    private final Module model;
    private final Optimizer optimizer;
    private int epochs = 1;
    private LrScheduler scheduler;
    private ReduceLrOnPlateau plateau;
    private double clipNorm;
    private double labelSmoothing;
    private Listener listener = new Listener() { };
    private Path checkpointDir;
    private int checkpointEvery;
    private int startEpoch;
    private int evalBatch = 1000;
    private Objective objective;

    public Trainer(Module model, Optimizer optimizer) {
        this.model = model;
        this.optimizer = optimizer;
    }

    public Trainer epochs(int n) {
        if (n <= 0) {
            throw new IllegalArgumentException("epochs must be positive, got " + n);
        }
        this.epochs = n;
        return this;
    }

    /** A schedule stepped after every batch. */
    public Trainer scheduler(LrScheduler s) {
        this.scheduler = s;
        return this;
    }

    /** Reduce-on-plateau, fed the training loss after every epoch. */
    public Trainer plateau(ReduceLrOnPlateau p) {
        this.plateau = p;
        return this;
    }

    public Trainer clipNorm(double maxNorm) {
        this.clipNorm = maxNorm;
        return this;
    }

    public Trainer labelSmoothing(double eps) {
        this.labelSmoothing = eps;
        return this;
    }

    /** Minimises {@code o} instead of cross-entropy on the labels. */
    public Trainer objective(Objective o) {
        this.objective = o;
        return this;
    }

    public Trainer listener(Listener l) {
        this.listener = l;
        return this;
    }

    /** Writes a checkpoint to {@code dir/checkpoint.bin} every {@code everyEpochs} epochs (and at the end). */
    public Trainer checkpoints(Path dir, int everyEpochs) {
        this.checkpointDir = dir;
        this.checkpointEvery = everyEpochs;
        return this;
    }

    /** Restores model, optimizer and progress from {@code dir/checkpoint.bin}. */
    public Trainer resume(Path dir) {
        try {
            Map<String, Tensor> all = Checkpoint.read(dir.resolve("checkpoint.bin"));
            Map<String, Tensor> modelState = new LinkedHashMap<>();
            Map<String, Tensor> optState = new LinkedHashMap<>();
            for (var e : all.entrySet()) {
                if (e.getKey().startsWith("model.")) {
                    modelState.put(e.getKey().substring(6), e.getValue());
                } else if (e.getKey().startsWith("optim.")) {
                    optState.put(e.getKey().substring(6), e.getValue());
                }
            }
            model.loadStateDict(modelState);
            optimizer.loadStateDict(optState);
            startEpoch = (int) all.get("trainer.epoch").itemLong();
            if (scheduler != null) {
                scheduler.seek(all.get("trainer.schedule_step").itemLong());
            }
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot resume from " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The first epoch {@link #fit} will run (after {@link #resume}). */
    public int startEpoch() {
        return startEpoch;
    }

    private void checkpoint(int epochsDone) {
        Map<String, Tensor> all = new LinkedHashMap<>();
        model.stateDict().forEach((k, v) -> all.put("model." + k, v));
        optimizer.stateDict().forEach((k, v) -> all.put("optim." + k, v));
        all.put("trainer.epoch", Tensor.scalar(epochsDone, DType.I64));
        all.put("trainer.schedule_step", Tensor.scalar(scheduler == null ? 0 : scheduler.steps(), DType.I64));
        try {
            Checkpoint.write(checkpointDir.resolve("checkpoint.bin"), all);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint to " + checkpointDir + ": " + e.getMessage(), e);
        }
    }

    /** Trains for the configured epochs, evaluating on {@code test} (may be null) after each. */
    public Result fit(DataLoader train, Dataset test) {
        long t0 = System.nanoTime();
        List<EpochStats> stats = new ArrayList<>();
        List<Tensor> params = model.parameters();
        for (int epoch = startEpoch; epoch < epochs; epoch++) {
            model.train();
            int batches = train.batches();
            listener.epochStart(epoch, batches);
            long start = System.nanoTime();
            double lossSum = 0;
            long seen = 0;
            long correct = 0;
            int b = 0;
            var batchIter = train.epoch(epoch).iterator();
            while (batchIter.hasNext()) {
                try (MemoryScope step = MemoryScope.open("train step")) {
                    Batch batch = batchIter.next(); // inside the scope: the batch's tensors are freed with the step
                    optimizer.zeroGrad();
                    Tensor logits = model.forward(batch.x());
                    Tensor loss = objective == null ? Losses.crossEntropy(logits, batch.y(), labelSmoothing, null)
                            : objective.loss(logits, batch);
                    loss.backward();
                    if (clipNorm > 0) {
                        GradClip.byGlobalNorm(params, clipNorm);
                    }
                    optimizer.step();
                    if (scheduler != null) {
                        scheduler.step();
                    }
                    int n = batch.size();
                    lossSum += loss.item() * n;
                    correct += logits.detach().argmax(1).eq(batch.y()).sum().itemLong();
                    seen += n;
                    b++;
                    double elapsed = (System.nanoTime() - start) / 1e9;
                    listener.batchDone(epoch, b, batches, lossSum / seen, seen / Math.max(elapsed, 1e-9));
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double testAcc = test == null ? Double.NaN : Evaluation.of(model, test, evalBatch).accuracy();
            double meanLoss = lossSum / Math.max(1, seen);
            if (plateau != null) {
                plateau.step(meanLoss);
            }
            EpochStats s = new EpochStats(epoch + 1, meanLoss, correct / (double) Math.max(1, seen), testAcc,
                    optimizer.lr(), seconds, seen / seconds, Backends.current().memory().liveBytes());
            stats.add(s);
            listener.epochDone(s);
            if (checkpointDir != null && checkpointEvery > 0 && ((epoch + 1) % checkpointEvery == 0 || epoch + 1 == epochs)) {
                checkpoint(epoch + 1);
            }
        }
        return new Result(stats, Backends.current().name(), (System.nanoTime() - t0) / 1_000_000_000L);
    }
}
