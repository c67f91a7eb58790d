package dev.anvil.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.anvil.data.DataLoader;
import dev.anvil.format.ModelJson;
import dev.anvil.nn.Sequential;
import dev.anvil.optim.Adam;
import dev.anvil.optim.Optimizer;
import dev.anvil.prune.GradualPruning;
import dev.anvil.prune.MagnitudePruning;
import dev.anvil.prune.Masks;
import dev.anvil.prune.PolynomialSchedule;
import dev.anvil.prune.SparsityReport;
import dev.anvil.prune.StructuredPruning;
import dev.anvil.train.Trainer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code anvil prune}: magnitude pruning (per layer or global, at once or gradually while fine-tuning) and
 * structured pruning (whole neurons and filters) of a saved model, saved as a new package whose pruned weights are
 * stored sparse; prints the before/after comparison.
 */
@Command(name = "prune", sortOptions = false, description = "Prune a saved model (magnitude or structured), optionally "
        + "fine-tune it, save it sparse, and compare it with the original.")
final class PruneCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "PKG", description = "The model package to prune.")
    Path model;

    @Option(names = "--out", required = true, paramLabel = "PKG2", description = "Where to save the pruned package.")
    Path out;

    @Option(names = "--sparsity", defaultValue = "0", paramLabel = "S",
            description = "Fraction of Linear and Conv2d weights set to zero by magnitude, e.g. 0.9 (0: none).")
    double sparsity;

    @Option(names = "--global", description = "One magnitude threshold across layers (default: each layer to --sparsity).")
    boolean global;

    @Option(names = "--structured", description = "Remove whole neurons of hidden Linear layers and filters of Conv2d layers.")
    boolean structured;

    @Option(names = "--fraction", defaultValue = "0.5", paramLabel = "F",
            description = "With --structured: fraction of each prunable layer's outputs removed. Default: ${DEFAULT-VALUE}.")
    double fraction;

    @Option(names = "--norm", defaultValue = "l1", paramLabel = "l1|l2",
            description = "With --structured: the norm that ranks neurons and filters. Default: ${DEFAULT-VALUE}.")
    String rankNorm;

    @Option(names = "--gradual-steps", defaultValue = "0", paramLabel = "N",
            description = "Raise sparsity to --sparsity on the Zhu-Gupta cubic schedule over the first N fine-tuning steps "
                    + "(needs --finetune-epochs); 0 prunes at once.")
    long gradualSteps;

    @Option(names = "--finetune-epochs", defaultValue = "0", paramLabel = "N",
            description = "Fine-tune for N epochs after (or while) pruning, masks held. Default: ${DEFAULT-VALUE}.")
    int finetuneEpochs;

    @Option(names = "--data", paramLabel = "SOURCE", description = "Data for fine-tuning and the test accuracy: " + DataSpec.HELP
            + ". Default: fashion-mnist.")
    String data;

    @Option(names = "--lr", defaultValue = "5e-4", description = "Fine-tuning learning rate (Adam). Default: ${DEFAULT-VALUE}.")
    double lr;

    @Option(names = "--batch-size", defaultValue = "128", description = "Fine-tuning batch size. Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(names = "--seed", defaultValue = "42", description = "Shuffling seed of fine-tuning. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--timing-ms", defaultValue = "200", paramLabel = "MS",
            description = "Time spent measuring each inference speed, per round (3 rounds). Default: ${DEFAULT-VALUE}.")
    long timingMs;

    @Option(names = "--json", description = "Print the comparison as JSON.")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter pw = spec.commandLine().getOut();
        validate();
        SavedModel.Loaded original = SavedModel.load(model);
        DataSpec.Loaded d = DataSpec.load(data);
        ModelJson meta = original.meta();
        double[] norm = original.normalize();
        var train = norm == null ? d.train() : d.train().normalized(norm[0], norm[1]);
        var test = d.test() == null ? null : norm == null ? d.test() : d.test().normalized(norm[0], norm[1]);
        Sequential net = original.model();
        JsonArray layers = meta.architecture();
        JsonObject report = new JsonObject();
        report.addProperty("source", model.toString());
        report.addProperty("data", d.source());
        if (structured) {
            StructuredPruning.Result r = StructuredPruning.prune(net, fraction, "l2".equalsIgnoreCase(rankNorm) ? StructuredPruning.Norm.L2
                    : StructuredPruning.Norm.L1);
            net = r.model();
            layers = ModelSpec.resized(layers, net);
            JsonObject s = new JsonObject();
            s.addProperty("fraction", fraction);
            s.addProperty("norm", rankNorm.toLowerCase(Locale.ROOT));
            JsonObject kept = new JsonObject();
            r.kept().forEach((layer, idx) -> kept.addProperty(Integer.toString(layer), idx.length));
            s.add("kept_outputs", kept);
            report.add("structured", s);
        }
        MagnitudePruning.Scope scope = global ? MagnitudePruning.Scope.GLOBAL : MagnitudePruning.Scope.LAYER;
        Masks masks = sparsity > 0 ? Masks.forWeights(net) : null;
        if (masks != null && gradualSteps == 0) {
            MagnitudePruning.toSparsity(masks, sparsity, scope);
        }
        if (finetuneEpochs > 0) {
            net.train();
            Optimizer opt = new Adam(net.parameters(), lr);
            DataLoader loader = new DataLoader(train, batchSize).shuffle(seed).prefetch(true);
            long steps = (long) loader.batches() * finetuneEpochs;
            GradualPruning gradual = null;
            if (masks != null && gradualSteps > 0) {
                if (gradualSteps > steps) {
                    throw new IllegalArgumentException("--gradual-steps " + gradualSteps + " is more than the " + steps
                            + " fine-tuning steps (" + finetuneEpochs + " epochs of " + loader.batches() + " batches); lower it or "
                            + "raise --finetune-epochs");
                }
                gradual = GradualPruning.attach(masks, new PolynomialSchedule(0, sparsity, 0, gradualSteps,
                        Math.max(1, gradualSteps / 20)), scope, opt);
            } else if (masks != null) {
                masks.holdDuring(opt);
            }
            Trainer trainer = new Trainer(net, opt).epochs(finetuneEpochs);
            if (!json) {
                pw.printf(Locale.ROOT, "Fine-tuning on %s for %d epochs (%d steps, Adam lr %s)%n", d.source(), finetuneEpochs, steps, lr);
                pw.flush();
                trainer.listener(new TrainCommand.Progress(pw, test != null));
            }
            Trainer.Result r = trainer.fit(loader, test);
            if (gradual != null) {
                gradual.finish();
            }
            report.addProperty("finetune_epochs", finetuneEpochs);
            report.addProperty("finetune_lr", lr);
            report.addProperty("finetune_final_loss", r.last().loss());
            net.eval();
        }
        if (masks != null) {
            SparsityReport s = masks.report();
            JsonObject m = new JsonObject();
            m.addProperty("target", sparsity);
            m.addProperty("scope", scope.name().toLowerCase(Locale.ROOT));
            m.addProperty("gradual_steps", gradualSteps);
            m.addProperty("achieved", s.sparsity());
            report.add("magnitude", m);
        }
        JsonObject training = meta.training().deepCopy();
        training.add("pruning", report.deepCopy());
        SavedModel.save(out, net, layers, inputShape(meta), meta.classLabels().toArray(String[]::new), training, true);
        var raw = d.test() != null ? d.test() : d.train();
        List<ModelComparison.Figures> figures = ModelComparison.measure(List.of(
                new ModelComparison.Candidate("before", model), new ModelComparison.Candidate("after", out)), raw, timingMs);
        if (json) {
            report.add("models", ModelComparison.json(figures));
            pw.println(Json.GSON.toJson(report));
        } else {
            pw.printf(Locale.ROOT, "Pruned %s -> %s%s%n%n", model, out, d.test() == null ? " (no test split: accuracy on the training set)" : "");
            ModelComparison.print(pw, figures);
        }
        pw.flush();
        return 0;
    }

    private void validate() {
        if (!(sparsity >= 0 && sparsity < 1)) {
            throw new IllegalArgumentException("--sparsity must be in [0, 1), got " + sparsity);
        }
        if (!structured && sparsity == 0) {
            throw new IllegalArgumentException("nothing to do: give --sparsity S (e.g. 0.9) and/or --structured [--fraction F]");
        }
        if (structured && !(fraction > 0 && fraction < 1)) {
            throw new IllegalArgumentException("--fraction must be in (0, 1), got " + fraction);
        }
        if (!rankNorm.equalsIgnoreCase("l1") && !rankNorm.equalsIgnoreCase("l2")) {
            throw new IllegalArgumentException("--norm must be l1 or l2, got '" + rankNorm + "'");
        }
        if (gradualSteps < 0 || finetuneEpochs < 0 || batchSize <= 0 || timingMs <= 0) {
            throw new IllegalArgumentException("--gradual-steps and --finetune-epochs must be >= 0, --batch-size and --timing-ms > 0");
        }
        if (gradualSteps > 0 && (finetuneEpochs == 0 || sparsity == 0)) {
            throw new IllegalArgumentException("--gradual-steps needs --sparsity and --finetune-epochs (pruning happens while fine-tuning)");
        }
        if (global && sparsity == 0) {
            throw new IllegalArgumentException("--global applies to magnitude pruning: give --sparsity too");
        }
        if (model.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("--out must differ from --model (the comparison needs the original)");
        }
    }

    /** The input shape without the batch axis, from the signature. */
    static int[] inputShape(ModelJson meta) {
        List<Integer> s = meta.inputs().get(0).shape();
        return s.subList(1, s.size()).stream().mapToInt(Integer::intValue).toArray();
    }
}
