package dev.anvil.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.anvil.Backends;
import dev.anvil.data.DataLoader;
import dev.anvil.nn.Sequential;
import dev.anvil.optim.Adam;
import dev.anvil.optim.AdamW;
import dev.anvil.optim.LrScheduler;
import dev.anvil.optim.Optimizer;
import dev.anvil.optim.ReduceLrOnPlateau;
import dev.anvil.optim.RmsProp;
import dev.anvil.optim.Schedule;
import dev.anvil.optim.Sgd;
import dev.anvil.train.Trainer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code anvil train}: trains a classifier and saves it. */
@Command(name = "train", sortOptions = false, description = "Train a classifier (Fashion-MNIST by default) and save it.")
final class TrainCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--data", paramLabel = "SOURCE", description = "Data: " + DataSpec.HELP + ". Default: fashion-mnist "
            + "(Debian's dataset-fashion-mnist when installed, else the embedded 6,000/1,000 subset).")
    String data;

    @Option(names = "--model", paramLabel = "mlp|cnn|FILE.json", defaultValue = "mlp",
            description = "Architecture: mlp (784-256-128-10), cnn, or a JSON list of layers. Default: ${DEFAULT-VALUE}.")
    String model;

    @Option(names = "--epochs", defaultValue = "10", description = "Default: ${DEFAULT-VALUE}.")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "128", description = "Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(names = "--optimizer", defaultValue = "adam", paramLabel = "sgd|adam|adamw|rmsprop",
            description = "Default: ${DEFAULT-VALUE}.")
    String optimizer;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Learning rate. Default: ${DEFAULT-VALUE}.")
    double lr;

    @Option(names = "--momentum", defaultValue = "0", description = "SGD or RMSProp momentum. Default: ${DEFAULT-VALUE}.")
    double momentum;

    @Option(names = "--weight-decay", defaultValue = "0", description = "Default: ${DEFAULT-VALUE} (adamw: 0.01 when 0 is not given explicitly).")
    double weightDecay;

    @Option(names = "--schedule", paramLabel = "SPEC",
            description = "step:EVERY:GAMMA | multistep:E1,E2:GAMMA | exp:GAMMA | cosine | warmup:STEPS+<schedule> | "
                    + "plateau:PATIENCE:FACTOR. Counted in batches, except plateau (epochs, on the training loss).")
    String schedule;

    @Option(names = "--clip-norm", defaultValue = "0", description = "Clip gradients to this global L2 norm (0: off).")
    double clipNorm;

    @Option(names = "--label-smoothing", defaultValue = "0", description = "Cross-entropy label smoothing.")
    double labelSmoothing;

    @Option(names = "--normalize", defaultValue = "auto", paramLabel = "auto|none|MEAN,STD",
            description = "Input normalisation (x - mean) / std: auto uses the training set's statistics; saved in "
                    + "model.json and applied again by eval. Default: ${DEFAULT-VALUE}.")
    String normalize;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of initialisation and shuffling. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--out", paramLabel = "DIR", description = "Save the model package here (model.json + weights.safetensors).")
    Path out;

    @Option(names = "--checkpoint-every", defaultValue = "0", paramLabel = "N",
            description = "Write a checkpoint (model, optimizer, progress) every N epochs (needs --out).")
    int checkpointEvery;

    @Option(names = "--resume", paramLabel = "DIR", description = "Continue from the checkpoint of package DIR (DIR.checkpoint/), same settings.")
    Path resume;

    @Option(names = "--json", description = "Print the run as JSON.")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (epochs <= 0 || batchSize <= 0) {
            throw new IllegalArgumentException("--epochs and --batch-size must be positive");
        }
        if (checkpointEvery > 0 && this.out == null) {
            throw new IllegalArgumentException("--checkpoint-every needs --out DIR");
        }
        DataSpec.Loaded raw = DataSpec.load(data);
        double[] norm = normalization(raw);
        DataSpec.Loaded d = norm == null ? raw : raw.with(raw.train().normalized(norm[0], norm[1]),
                raw.test() == null ? null : raw.test().normalized(norm[0], norm[1]));
        int[] shape = d.train().featureShape();
        int inputs = d.train().featureSize();
        JsonArray layers = ModelSpec.layers(model, inputs, d.train().classes());
        Sequential net = ModelSpec.build(layers, seed);
        Optimizer opt = optimizer(net);
        DataLoader loader = new DataLoader(d.train(), batchSize).shuffle(seed).prefetch(true);
        long totalSteps = (long) loader.batches() * epochs;
        Trainer trainer = new Trainer(net, opt).epochs(epochs).clipNorm(clipNorm).labelSmoothing(labelSmoothing);
        if (schedule != null) {
            if (schedule.startsWith("plateau:")) {
                String[] p = schedule.split(":");
                try {
                    trainer.plateau(new ReduceLrOnPlateau(opt, Integer.parseInt(p[1]), Double.parseDouble(p[2])));
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("--schedule " + schedule + ": expected plateau:PATIENCE:FACTOR");
                }
            } else {
                trainer.scheduler(new LrScheduler(opt, Schedule.parse(schedule, totalSteps)));
            }
        }
        // checkpoints live beside the package (DIR.checkpoint/), since saving a package replaces its folder whole
        Path ckDir = resume != null ? checkpointDir(resume) : this.out == null ? null : checkpointDir(this.out);
        if (ckDir != null && checkpointEvery > 0) {
            trainer.checkpoints(ckDir, checkpointEvery);
        }
        if (resume != null) {
            if (!java.nio.file.Files.isRegularFile(ckDir.resolve("checkpoint.bin"))) {
                throw new IllegalArgumentException("--resume " + resume + ": no checkpoint at " + ckDir.resolve("checkpoint.bin")
                        + " (train with --out DIR --checkpoint-every N first)");
            }
            trainer.resume(ckDir);
        }
        String backend = Backends.current().name();
        if (!json) {
            out.printf(Locale.ROOT, "Training %s on %s (%d training, %s test examples) with %s, lr %s, batch %d, backend %s%n",
                    model, d.source(), d.train().size(), d.test() == null ? "no" : Integer.toString(d.test().size()),
                    optimizer, lr, batchSize, backend);
            out.flush();
        }
        trainer.listener(json ? new Trainer.Listener() { } : new Progress(out, d.test() != null));
        Trainer.Result r = trainer.fit(loader, d.test());
        String[] classes = d.classNames();
        JsonObject meta = metadata(r, d, classes.length);
        if (norm != null) {
            JsonObject pre = new JsonObject();
            pre.addProperty("mean", norm[0]);
            pre.addProperty("std", norm[1]);
            meta.add("normalize", pre);
        }
        if (this.out != null) {
            SavedModel.save(this.out, net, layers, shape, classes, meta);
        }
        if (json) {
            out.println(Json.GSON.toJson(meta));
        } else if (!r.epochs().isEmpty()) {
            Trainer.EpochStats last = r.last();
            out.printf(Locale.ROOT, "Done: test accuracy %.2f%%, loss %.4f after %d epochs (%.0f samples/s in the last epoch)%n",
                    last.testAccuracy() * 100, last.loss(), last.epoch(), last.samplesPerSecond());
            if (this.out != null) {
                out.println("Saved to " + this.out);
            }
        }
        out.flush();
        return 0;
    }

    /** The checkpoint folder of a package folder ({@code DIR.checkpoint}), or {@code dir} itself if it is one. */
    static Path checkpointDir(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        String name = abs.getFileName().toString();
        return name.endsWith(".checkpoint") ? abs : abs.resolveSibling(name + ".checkpoint");
    }

    /** {mean, std} for --normalize, or null for none. */
    private double[] normalization(DataSpec.Loaded d) {
        String n = normalize.trim();
        if (n.equals("none")) {
            return null;
        }
        if (n.equals("auto")) {
            return d.train().meanStd();
        }
        String[] p = n.split(",");
        try {
            return new double[] {Double.parseDouble(p[0]), Double.parseDouble(p[1])};
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--normalize: expected auto, none or MEAN,STD, got '" + normalize + "'");
        }
    }

    private JsonObject metadata(Trainer.Result r, DataSpec.Loaded d, int classes) {
        JsonObject meta = new JsonObject();
        meta.addProperty("dataset", d.source());
        meta.addProperty("model", model);
        meta.addProperty("backend", r.backend());
        meta.addProperty("optimizer", optimizer);
        meta.addProperty("lr", lr);
        meta.addProperty("batch_size", batchSize);
        meta.addProperty("seed", seed);
        meta.addProperty("classes", classes);
        meta.addProperty("date", Instant.now().toString());
        JsonArray eps = new JsonArray();
        for (Trainer.EpochStats s : r.epochs()) {
            JsonObject e = new JsonObject();
            e.addProperty("epoch", s.epoch());
            e.addProperty("loss", s.loss());
            e.addProperty("train_accuracy", s.trainAccuracy());
            e.addProperty("test_accuracy", Double.isNaN(s.testAccuracy()) ? null : s.testAccuracy());
            e.addProperty("lr", s.lr());
            e.addProperty("seconds", s.seconds());
            e.addProperty("samples_per_second", s.samplesPerSecond());
            e.addProperty("live_bytes", s.liveBytes());
            eps.add(e);
        }
        meta.add("epochs", eps);
        return meta;
    }

    private Optimizer optimizer(Sequential net) {
        var params = net.parameters();
        return switch (optimizer.toLowerCase(Locale.ROOT)) {
            case "sgd" -> new Sgd(params, lr, momentum, false, weightDecay);
            case "adam" -> new Adam(params, lr, 0.9, 0.999, 1e-8, weightDecay);
            case "adamw" -> new AdamW(params, lr, 0.9, 0.999, 1e-8, weightDecay == 0 ? 0.01 : weightDecay);
            case "rmsprop" -> new RmsProp(params, lr, 0.99, 1e-8, momentum, weightDecay);
            default -> throw new IllegalArgumentException("--optimizer: unknown '" + optimizer + "' (sgd, adam, adamw, rmsprop)");
        };
    }

    /** A progress bar per epoch on a terminal; one line per epoch otherwise. */
    static final class Progress implements Trainer.Listener {
        private final PrintWriter out;
        private final boolean hasTest;
        private final boolean terminal = System.console() != null && System.console().isTerminal();
        private ProgressBar bar;

        Progress(PrintWriter out, boolean hasTest) {
            this.out = out;
            this.hasTest = hasTest;
        }

        @Override
        public void epochStart(int epoch, int batches) {
            if (terminal) {
                bar = new ProgressBarBuilder().setTaskName("epoch " + (epoch + 1)).setInitialMax(batches)
                        .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK).setUpdateIntervalMillis(200).build();
            }
        }

        @Override
        public void batchDone(int epoch, int batch, int batches, double loss, double samplesPerSecond) {
            if (bar != null) {
                bar.stepTo(batch);
                bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f  %.0f samples/s", loss, samplesPerSecond));
            }
        }

        @Override
        public void epochDone(Trainer.EpochStats s) {
            if (bar != null) {
                bar.close();
                bar = null;
            }
            out.printf(Locale.ROOT, "epoch %2d  loss %.4f  train %.2f%%%s  lr %.3g  %.1fs  %.0f samples/s%n", s.epoch(), s.loss(),
                    s.trainAccuracy() * 100, hasTest ? String.format(Locale.ROOT, "  test %.2f%%", s.testAccuracy() * 100) : "",
                    s.lr(), s.seconds(), s.samplesPerSecond());
            out.flush();
        }
    }
}
