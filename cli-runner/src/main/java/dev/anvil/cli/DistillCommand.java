package dev.anvil.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.anvil.data.ArrayDataset;
import dev.anvil.data.DataLoader;
import dev.anvil.nn.Sequential;
import dev.anvil.optim.Adam;
import dev.anvil.train.Distillation;
import dev.anvil.train.Trainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code anvil distill}: trains a small student against a saved teacher (temperature-softened KL divergence plus
 * cross-entropy on the labels), optionally next to the same student trained on labels alone, and compares them.
 */
@Command(name = "distill", sortOptions = false, description = "Train a small student model from a saved teacher "
        + "(knowledge distillation) and compare it with the teacher.")
final class DistillCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--teacher", required = true, paramLabel = "PKG", description = "The trained teacher package.")
    Path teacher;

    @Option(names = "--student", defaultValue = "mlp:784-64-10", paramLabel = "mlp:IN-H1-...-OUT|mlp|cnn|FILE.json",
            description = "Student architecture: mlp:784-64-10 is Flatten, Linear 784->64, ReLU, Linear 64->10. "
                    + "Default: ${DEFAULT-VALUE}.")
    String student;

    @Option(names = "--data", paramLabel = "SOURCE", description = "Data: " + DataSpec.HELP + ". Default: fashion-mnist.")
    String data;

    @Option(names = "--epochs", defaultValue = "10", description = "Default: ${DEFAULT-VALUE}.")
    int epochs;

    @Option(names = "--temperature", defaultValue = "4", paramLabel = "T",
            description = "Softening of both models' outputs. Default: ${DEFAULT-VALUE}.")
    double temperature;

    @Option(names = "--alpha", defaultValue = "0.7",
            description = "Weight of the teacher (soft) term; the labels get 1 - alpha. Default: ${DEFAULT-VALUE}.")
    double alpha;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Adam learning rate. Default: ${DEFAULT-VALUE}.")
    double lr;

    @Option(names = "--batch-size", defaultValue = "128", description = "Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of initialisation and shuffling. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--baseline", description = "Also train the same student on the labels alone (same epochs, seed and "
            + "batches) and show it in the comparison.")
    boolean baseline;

    @Option(names = "--out", required = true, paramLabel = "PKG2", description = "Where to save the distilled student.")
    Path out;

    @Option(names = "--timing-ms", defaultValue = "200", paramLabel = "MS",
            description = "Time spent measuring each inference speed, per round (3 rounds). Default: ${DEFAULT-VALUE}.")
    long timingMs;

    @Option(names = "--json", description = "Print the comparison as JSON.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        PrintWriter pw = spec.commandLine().getOut();
        if (epochs <= 0 || batchSize <= 0 || timingMs <= 0) {
            throw new IllegalArgumentException("--epochs, --batch-size and --timing-ms must be positive");
        }
        if (teacher.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("--out must differ from --teacher");
        }
        SavedModel.Loaded t = SavedModel.load(teacher);
        DataSpec.Loaded d = DataSpec.load(data);
        double[] norm = t.normalize();
        ArrayDataset train = norm == null ? d.train() : d.train().normalized(norm[0], norm[1]);
        ArrayDataset test = d.test() == null ? null : norm == null ? d.test() : d.test().normalized(norm[0], norm[1]);
        int classes = t.meta().classLabels().size();
        for (int i = 0; i < train.size(); i++) { // labels, not the declared count: idx: data declares 256 classes
            if (train.label(i) >= classes) {
                throw new IllegalArgumentException("--data " + d.source() + ": training example " + i + " has label "
                        + train.label(i) + " but the teacher " + teacher + " knows " + classes + " classes");
            }
        }
        JsonArray layers = layers(student, train.featureSize(), classes);
        Distillation objective = new Distillation(t.model(), temperature, alpha);
        JsonObject report = new JsonObject();
        report.addProperty("teacher", teacher.toString());
        report.addProperty("student", student);
        report.addProperty("data", d.source());
        report.addProperty("epochs", epochs);
        report.addProperty("temperature", temperature);
        report.addProperty("alpha", alpha);
        report.addProperty("seed", seed);

        Trainer.Result distilled = train(layers, train, test, objective, "distilled student", pw, out, norm, d, t);
        report.addProperty("student_test_accuracy", distilled.last().testAccuracy());
        Path base = null;
        try {
            if (baseline) {
                base = Files.createTempDirectory(out.toAbsolutePath().getParent() == null ? Path.of(".")
                        : Files.createDirectories(out.toAbsolutePath().getParent()), ".anvil-baseline-");
                Files.delete(base); // the package is written in its place
                Trainer.Result plain = train(layers, train, test, null, "baseline student (labels only)", pw, base, norm, d, t);
                report.addProperty("baseline_test_accuracy", plain.last().testAccuracy());
            }
            ArrayDataset raw = d.test() != null ? d.test() : d.train();
            List<ModelComparison.Candidate> candidates = new ArrayList<>();
            candidates.add(new ModelComparison.Candidate("teacher", teacher));
            if (base != null) {
                candidates.add(new ModelComparison.Candidate("labels only", base));
            }
            candidates.add(new ModelComparison.Candidate("distilled", out));
            List<ModelComparison.Figures> figures = ModelComparison.measure(candidates, raw, timingMs);
            if (json) {
                report.add("models", ModelComparison.json(figures));
                pw.println(Json.GSON.toJson(report));
            } else {
                pw.printf(Locale.ROOT, "%nDistilled %s into %s (T %s, alpha %s) -> %s%n%n", teacher, student, temperature, alpha, out);
                ModelComparison.print(pw, figures);
            }
        } finally {
            if (base != null) {
                deleteTree(base);
            }
        }
        pw.flush();
        return 0;
    }

    private Trainer.Result train(JsonArray layers, ArrayDataset train, ArrayDataset test, Distillation objective, String what,
            PrintWriter pw, Path to, double[] norm, DataSpec.Loaded d, SavedModel.Loaded t) {
        Sequential net = ModelSpec.build(layers, seed);
        DataLoader loader = new DataLoader(train, batchSize).shuffle(seed).prefetch(true);
        Trainer trainer = new Trainer(net, new Adam(net.parameters(), lr)).epochs(epochs);
        if (objective != null) {
            trainer.objective(objective);
        }
        if (!json) {
            pw.printf(Locale.ROOT, "Training the %s %s on %s for %d epochs%n", what, student, d.source(), epochs);
            pw.flush();
            trainer.listener(new TrainCommand.Progress(pw, test != null));
        }
        Trainer.Result r = trainer.fit(loader, test);
        JsonObject meta = new JsonObject();
        meta.addProperty("dataset", d.source());
        meta.addProperty("model", student);
        meta.addProperty("backend", r.backend());
        meta.addProperty("optimizer", "adam");
        meta.addProperty("lr", lr);
        meta.addProperty("batch_size", batchSize);
        meta.addProperty("seed", seed);
        meta.addProperty("classes", t.meta().classLabels().size());
        meta.addProperty("date", Instant.now().toString());
        if (objective != null) {
            JsonObject dist = new JsonObject();
            dist.addProperty("teacher", teacher.toString());
            dist.addProperty("temperature", temperature);
            dist.addProperty("alpha", alpha);
            meta.add("distillation", dist);
        }
        JsonArray eps = new JsonArray();
        for (Trainer.EpochStats s : r.epochs()) {
            JsonObject e = new JsonObject();
            e.addProperty("epoch", s.epoch());
            e.addProperty("loss", s.loss());
            e.addProperty("train_accuracy", s.trainAccuracy());
            e.addProperty("test_accuracy", Double.isNaN(s.testAccuracy()) ? null : s.testAccuracy());
            e.addProperty("seconds", s.seconds());
            eps.add(e);
        }
        meta.add("epochs", eps);
        if (norm != null) {
            JsonObject n = new JsonObject();
            n.addProperty("mean", norm[0]);
            n.addProperty("std", norm[1]);
            meta.add("normalize", n);
        }
        net.eval();
        SavedModel.save(to, net, layers, train.featureShape(),
                t.meta().classLabels().toArray(String[]::new), meta);
        return r;
    }

    /** The student's layer list: {@code mlp:IN-H1-...-OUT}, or what {@code anvil train --model} takes. */
    static JsonArray layers(String spec, int inputs, int classes) {
        if (!spec.startsWith("mlp:")) {
            return ModelSpec.layers(spec, inputs, classes);
        }
        String[] parts = spec.substring(4).split("-");
        int[] sizes = new int[parts.length];
        try {
            for (int i = 0; i < parts.length; i++) {
                sizes[i] = Integer.parseInt(parts[i].trim());
                if (sizes[i] <= 0) {
                    throw new NumberFormatException();
                }
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--student " + spec + ": expected mlp: and positive sizes joined by '-', e.g. mlp:784-64-10");
        }
        if (sizes.length < 2) {
            throw new IllegalArgumentException("--student " + spec + ": give at least the input and output sizes, e.g. mlp:784-64-10");
        }
        if (sizes[0] != inputs || sizes[sizes.length - 1] != classes) {
            throw new IllegalArgumentException("--student " + spec + ": must start with the data's " + inputs
                    + " inputs and end with the teacher's " + classes + " classes");
        }
        JsonArray out = new JsonArray();
        JsonObject flatten = new JsonObject();
        flatten.addProperty("type", "flatten");
        out.add(flatten);
        for (int i = 0; i + 1 < sizes.length; i++) {
            JsonObject l = new JsonObject();
            l.addProperty("type", "linear");
            l.addProperty("in", sizes[i]);
            l.addProperty("out", sizes[i + 1]);
            out.add(l);
            if (i + 2 < sizes.length) {
                JsonObject relu = new JsonObject();
                relu.addProperty("type", "relu");
                out.add(relu);
            }
        }
        return out;
    }

    private static void deleteTree(Path p) {
        try (var s = Files.walk(p)) {
            for (Path q : (Iterable<Path>) s.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(q);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the temporary baseline package " + p + ": " + e.getMessage(), e);
        }
    }
}
