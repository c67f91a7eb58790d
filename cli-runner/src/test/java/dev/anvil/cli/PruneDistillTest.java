package dev.anvil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** anvil prune and anvil distill end to end on the embedded subset, with a small MLP trained in the test. */
class PruneDistillTest {
    @TempDir
    static Path dir;
    static Path pkg;

    private record Run(int code, String out, String err) {
        JsonObject json() {
            return JsonParser.parseString(out).getAsJsonObject();
        }
    }

    private static Run run(String... args) {
        CommandLine cmd = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cmd.setOut(new PrintWriter(out));
        cmd.setErr(new PrintWriter(err));
        return new Run(cmd.execute(args), out.toString(), err.toString());
    }

    @BeforeAll
    static void train() throws Exception {
        Path layers = Files.writeString(dir.resolve("small.json"), "[{\"type\":\"flatten\"},{\"type\":\"linear\",\"in\":784,\"out\":32},"
                + "{\"type\":\"relu\"},{\"type\":\"linear\",\"in\":32,\"out\":16},{\"type\":\"relu\"},{\"type\":\"linear\",\"in\":16,\"out\":10}]");
        pkg = dir.resolve("small");
        Run r = run("train", "--data", "embedded", "--model", layers.toString(), "--epochs", "1", "--json", "--out", pkg.toString());
        assertEquals(0, r.code(), r.err());
    }

    private static JsonObject model(JsonObject report, int i) {
        return report.getAsJsonArray("models").get(i).getAsJsonObject();
    }

    private static double evalAccuracy(Path p) {
        Run e = run("eval", "--model", p.toString(), "--data", "embedded", "--json");
        assertEquals(0, e.code(), e.err());
        return e.json().get("accuracy").getAsDouble();
    }

    @Test
    void magnitudePruningFineTunesSavesSparseAndLoadsBack() {
        Path out = dir.resolve("p80");
        Run r = run("prune", "--model", pkg.toString(), "--data", "embedded", "--sparsity", "0.8", "--global",
                "--finetune-epochs", "1", "--timing-ms", "20", "--json", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonObject rep = r.json();
        assertEquals(0.8, rep.getAsJsonObject("magnitude").get("achieved").getAsDouble(), 1e-4);
        JsonObject before = model(rep, 0);
        JsonObject after = model(rep, 1);
        assertEquals(before.get("parameters").getAsLong(), after.get("parameters").getAsLong());
        long weights = 784 * 32 + 32 * 16 + 16 * 10;
        long zeros = before.get("nonzero_parameters").getAsLong() - after.get("nonzero_parameters").getAsLong();
        assertTrue(Math.abs(zeros - Math.round(0.8 * weights)) <= 10, "zeros: " + zeros);
        assertTrue(after.get("weights_bytes").getAsLong() * 3 < before.get("weights_bytes").getAsLong(), after.toString());
        JsonArray tensors = after.getAsJsonArray("tensors");
        assertEquals("1.weight", tensors.get(0).getAsJsonObject().get("name").getAsString());
        assertEquals("F32 bitmask", tensors.get(0).getAsJsonObject().get("stored_as").getAsString());
        for (var s : new String[] {"samples_per_second_batch_1", "samples_per_second_batch_256"}) {
            assertTrue(after.get(s).getAsDouble() > 0, s);
        }
        // eval, which the server also relies on, loads the sparse package to the same accuracy
        assertEquals(after.get("test_accuracy").getAsDouble(), evalAccuracy(out), 1e-12);
        Run inspect = run("inspect", "--model", out.toString(), "--json");
        assertEquals(0, inspect.code(), inspect.err());
        assertTrue(inspect.json().get("sparsity").getAsDouble() > 0.75);
        assertTrue(inspect.json().getAsJsonObject("training").has("pruning"));
    }

    @Test
    void gradualPruningReachesTheTargetAndPrintsTheTable() {
        Path out = dir.resolve("gradual");
        Run r = run("prune", "--model", pkg.toString(), "--data", "embedded", "--sparsity", "0.6", "--gradual-steps", "30",
                "--finetune-epochs", "1", "--timing-ms", "20", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("test accuracy") && r.out().contains("samples/s, batch 256")
                && r.out().contains("weights file") && r.out().contains("F32 bitmask"), r.out());
        assertTrue(r.out().matches("(?s).*1\\.weight\\s+\\[32, 784]\\s+F32 bitmask\\s+60\\.00%.*"), r.out());
    }

    @Test
    void structuredPruningShrinksTheModelAndItsLayerList() throws Exception {
        Path out = dir.resolve("half");
        Run r = run("prune", "--model", pkg.toString(), "--data", "embedded", "--structured", "--fraction", "0.5",
                "--timing-ms", "20", "--json", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonObject after = model(r.json(), 1);
        assertEquals(784 * 16 + 16 + 16 * 8 + 8 + 8 * 10 + 10, after.get("parameters").getAsLong());
        String json = Files.readString(out.resolve("model.json"));
        assertTrue(json.replaceAll("\\s", "").contains("{\"type\":\"linear\",\"in\":16,\"out\":8}"), json);
        assertEquals(after.get("test_accuracy").getAsDouble(), evalAccuracy(out), 1e-12);
    }

    @Test
    void distillationTrainsAStudentNextToTheLabelsOnlyBaseline() {
        Path out = dir.resolve("student");
        Run r = run("distill", "--teacher", pkg.toString(), "--student", "mlp:784-8-10", "--data", "embedded", "--epochs", "1",
                "--temperature", "4", "--alpha", "0.7", "--baseline", "--timing-ms", "20", "--json", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonObject rep = r.json();
        assertEquals(3, rep.getAsJsonArray("models").size());
        assertEquals("labels only", model(rep, 1).get("label").getAsString());
        assertEquals(784 * 8 + 8 + 8 * 10 + 10, model(rep, 2).get("parameters").getAsLong());
        assertEquals(rep.get("student_test_accuracy").getAsDouble(), evalAccuracy(out), 1e-12);
        assertTrue(rep.has("baseline_test_accuracy"));
        assertEquals(0, dir.toFile().list((d, n) -> n.startsWith(".anvil-baseline")).length, "the baseline package is temporary");
        Run inspect = run("inspect", "--model", out.toString(), "--json");
        JsonObject dist = inspect.json().getAsJsonObject("training").getAsJsonObject("distillation");
        assertEquals(4.0, dist.get("temperature").getAsDouble());
        assertEquals(0.7, dist.get("alpha").getAsDouble());
    }

    @Test
    void badFlagsAreUsageErrorsNamingTheFlag() {
        Path out = dir.resolve("never");
        Run a = run("prune", "--model", pkg.toString(), "--sparsity", "1.5", "--out", out.toString());
        assertEquals(2, a.code());
        assertTrue(a.err().contains("--sparsity must be in [0, 1), got 1.5"), a.err());
        Run b = run("prune", "--model", pkg.toString(), "--sparsity", "0.5", "--gradual-steps", "10", "--out", out.toString());
        assertEquals(2, b.code());
        assertTrue(b.err().contains("--gradual-steps needs --sparsity and --finetune-epochs"), b.err());
        Run c = run("prune", "--model", pkg.toString(), "--out", out.toString());
        assertTrue(c.code() == 2 && c.err().contains("nothing to do"), c.err());
        Run d = run("distill", "--teacher", pkg.toString(), "--student", "mlp:100-10", "--data", "embedded", "--out", out.toString());
        assertEquals(2, d.code());
        assertTrue(d.err().contains("--student mlp:100-10: must start with the data's 784 inputs"), d.err());
        Run e = run("prune", "--model", dir.resolve("missing").toString(), "--sparsity", "0.5", "--out", out.toString());
        assertTrue(e.code() == 2 && e.err().contains("no such package"), e.err());
        assertTrue(!Files.exists(out));
    }
}
