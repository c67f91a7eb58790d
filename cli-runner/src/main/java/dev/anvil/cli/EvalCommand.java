package dev.anvil.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.anvil.train.Evaluation;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code anvil eval}: accuracy, per-class accuracy and the confusion matrix of a saved model. */
@Command(name = "eval", sortOptions = false, description = "Evaluate a saved model on a test set.")
final class EvalCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "A folder written by anvil train --out.")
    Path model;

    @Option(names = "--data", paramLabel = "SOURCE", description = "Data: " + DataSpec.HELP + ". Default: fashion-mnist.")
    String data;

    @Option(names = "--json", description = "Print the results as JSON.")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        SavedModel.Loaded m = SavedModel.load(model);
        DataSpec.Loaded d = DataSpec.load(data);
        var set = d.test() != null ? d.test() : d.train();
        double[] norm = m.normalize();
        if (norm != null) {
            set = set.normalized(norm[0], norm[1]);
        }
        Evaluation ev = Evaluation.of(m.model(), set, 500);
        java.util.List<String> names = m.meta().classLabels();
        int classes = ev.confusion().length;
        double[] per = ev.perClassAccuracy();
        if (json) {
            JsonObject o = new JsonObject();
            o.addProperty("data", d.source());
            o.addProperty("examples", ev.examples());
            o.addProperty("accuracy", ev.accuracy());
            JsonArray pc = new JsonArray();
            JsonArray cm = new JsonArray();
            for (int c = 0; c < classes; c++) {
                JsonObject e = new JsonObject();
                e.addProperty("class", c < names.size() ? names.get(c) : Integer.toString(c));
                e.addProperty("accuracy", per[c]);
                pc.add(e);
                JsonArray row = new JsonArray();
                for (long v : ev.confusion()[c]) {
                    row.add(v);
                }
                cm.add(row);
            }
            o.add("per_class", pc);
            o.add("confusion", cm);
            out.println(Json.GSON.toJson(o));
        } else {
            out.printf(Locale.ROOT, "%s on %s: accuracy %.2f%% (%d of %d)%n%n", model, d.source(), ev.accuracy() * 100,
                    ev.correct(), ev.examples());
            Table t = new Table("CLASS", ">ACCURACY");
            for (int c = 0; c < classes; c++) {
                t.add(c < names.size() ? names.get(c) : Integer.toString(c),
                        String.format(Locale.ROOT, "%.2f%%", per[c] * 100));
            }
            t.print(out, "  ");
            out.println();
            out.println("Confusion matrix (rows: true class, columns: predicted):");
            StringBuilder head = new StringBuilder("      ");
            for (int c = 0; c < classes; c++) {
                head.append(String.format(Locale.ROOT, "%6d", c));
            }
            out.println(head);
            for (int r = 0; r < classes; r++) {
                StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%6d", r));
                for (long v : ev.confusion()[r]) {
                    row.append(String.format(Locale.ROOT, "%6d", v));
                }
                out.println(row);
            }
        }
        out.flush();
        return 0;
    }
}
