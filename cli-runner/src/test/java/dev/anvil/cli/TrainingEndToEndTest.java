package dev.anvil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Training through the anvil command on the best available CPU backend: the embedded subset (always), and
 * one epoch of the full Fashion-MNIST set where Debian's dataset-fashion-mnist is installed (CI installs it).
 */
class TrainingEndToEndTest {
    @TempDir
    Path dir;

    private static JsonObject run(String... args) {
        CommandLine cmd = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cmd.setOut(new PrintWriter(out));
        cmd.setErr(new PrintWriter(err));
        int code = cmd.execute(args);
        assertEquals(0, code, err.toString());
        return JsonParser.parseString(out.toString()).getAsJsonObject();
    }

    private static double lastTestAccuracy(JsonObject run) {
        var epochs = run.getAsJsonArray("epochs");
        return epochs.get(epochs.size() - 1).getAsJsonObject().get("test_accuracy").getAsDouble();
    }

    @Test
    void mlpOnTheEmbeddedSubsetReaches80Percent() {
        Path out = dir.resolve("mlp");
        JsonObject r = run("train", "--data", "embedded", "--epochs", "6", "--json", "--out", out.toString());
        double acc = lastTestAccuracy(r);
        System.out.printf("[cli] MLP, embedded subset, 6 epochs: test accuracy %.4f on %s%n", acc, r.get("backend").getAsString());
        assertTrue(acc >= 0.80, "test accuracy " + acc);
        assertTrue(Files.exists(out.resolve("model.json")) && Files.exists(out.resolve("weights.safetensors")));
        JsonObject ev = run("eval", "--model", out.toString(), "--data", "embedded", "--json");
        assertEquals(acc, ev.get("accuracy").getAsDouble(), 1e-9);
        assertEquals(10, ev.getAsJsonArray("confusion").size());
    }

    @Test
    void resumingFromACheckpointGivesBitwiseTheSameModel() throws Exception {
        Path a = dir.resolve("straight");
        Path b = dir.resolve("resumed");
        run("train", "--data", "embedded", "--epochs", "2", "--json", "--out", a.toString(), "--batch-size", "256");
        run("train", "--data", "embedded", "--epochs", "1", "--json", "--out", b.toString(), "--batch-size", "256",
                "--checkpoint-every", "1");
        run("train", "--data", "embedded", "--epochs", "2", "--json", "--out", b.toString(), "--batch-size", "256",
                "--checkpoint-every", "1", "--resume", b.toString());
        assertEquals(-1L, Files.mismatch(a.resolve("weights.safetensors"), b.resolve("weights.safetensors")),
                "weights differ after resume");
    }

    @Test
    void oneEpochOnTheFullFashionMnistReaches84Percent() {
        assumeTrue(Files.exists(Path.of("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")),
                "Debian's dataset-fashion-mnist is not installed (apt-get install dataset-fashion-mnist)");
        JsonObject r = run("train", "--data", "fashion-mnist", "--epochs", "1", "--json");
        double acc = lastTestAccuracy(r);
        System.out.printf("[cli] MLP, full Fashion-MNIST, 1 epoch: test accuracy %.4f, %.0f samples/s on %s%n", acc,
                r.getAsJsonArray("epochs").get(0).getAsJsonObject().get("samples_per_second").getAsDouble(),
                r.get("backend").getAsString());
        assertTrue(acc >= 0.84, "test accuracy " + acc);
    }
}
