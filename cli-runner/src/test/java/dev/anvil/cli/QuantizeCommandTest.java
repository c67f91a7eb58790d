package dev.anvil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
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

/** anvil quantize end to end on the embedded subset: the int8 package, its report, and eval/inspect on it. */
class QuantizeCommandTest {
    @TempDir
    static Path dir;
    static Path pkg;
    static Path int8;
    static JsonObject report;

    private record Run(int code, String out, String err) {
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
    static void trainAndQuantize() {
        pkg = dir.resolve("mlp");
        Run t = run("train", "--data", "embedded", "--epochs", "1", "--json", "--out", pkg.toString());
        assertEquals(0, t.code(), t.err());
        int8 = dir.resolve("mlp-int8");
        Run q = run("quantize", "--model", pkg.toString(), "--calibration-data", "embedded", "--calibration-samples", "300",
                "--quick", "--json", "--out", int8.toString());
        assertEquals(0, q.code(), q.err());
        report = JsonParser.parseString(q.out()).getAsJsonObject();
    }

    @Test
    void writesASmallerInt8PackageThatKeepsTheAccuracy() {
        JsonObject before = report.getAsJsonObject("before");
        JsonObject after = report.getAsJsonObject("after");
        double drop = before.get("accuracy").getAsDouble() - after.get("accuracy").getAsDouble();
        assertTrue(Math.abs(drop) < 0.015, "accuracy moved by " + drop);
        assertEquals(before.get("parameters").getAsLong(), after.get("parameters").getAsLong());
        // inspect counts the int8 model's weights as parameters, not its scales: as many as the F32 model's
        Run inspect = run("inspect", "--model", int8.toString(), "--json");
        assertEquals(0, inspect.code(), inspect.err());
        assertEquals(784L * 256 + 256 + 256L * 128 + 128 + 128L * 10 + 10,
                JsonParser.parseString(inspect.out()).getAsJsonObject().get("parameters").getAsLong());
        double ratio = before.get("weights_bytes").getAsDouble() / after.get("weights_bytes").getAsDouble();
        assertTrue(ratio > 3.8 && ratio < 4.0, "size ratio " + ratio);
        assertTrue(after.get("samples_per_second_batch1").getAsDouble() > 0);
        assertTrue(after.get("samples_per_second_batch256").getAsDouble() > 0);
        assertEquals(300, report.get("calibration_samples").getAsInt());
        int quantized = 0;
        for (JsonElement e : report.getAsJsonArray("layers")) {
            JsonObject l = e.getAsJsonObject();
            if (l.get("before").getAsString().equals("Linear")) {
                assertEquals("QuantizedLinear", l.get("after").getAsString());
                assertEquals("I8", l.get("after_dtype").getAsString());
                assertTrue(l.get("input_scale").getAsDouble() > 0);
                quantized++;
            } else {
                assertEquals(l.get("before").getAsString(), l.get("after").getAsString());
            }
        }
        assertEquals(3, quantized);
    }

    @Test
    void theInt8PackageLoadsInEvalAndInspect() throws Exception {
        String modelJson = Files.readString(int8.resolve("model.json"));
        assertTrue(modelJson.contains("\"linear_int8\""), modelJson);
        assertTrue(modelJson.contains("\"quantization\""), modelJson);
        Run ev = run("eval", "--model", int8.toString(), "--data", "embedded", "--json");
        assertEquals(0, ev.code(), ev.err());
        assertEquals(report.getAsJsonObject("after").get("accuracy").getAsDouble(),
                JsonParser.parseString(ev.out()).getAsJsonObject().get("accuracy").getAsDouble(), 1e-12);
        Run in = run("inspect", "--model", int8.toString(), "--json");
        assertEquals(0, in.code(), in.err());
        JsonArray tensors = JsonParser.parseString(in.out()).getAsJsonObject().getAsJsonArray("tensors");
        int i8 = 0;
        for (JsonElement e : tensors) {
            i8 += e.getAsJsonObject().get("dtype").getAsString().equals("I8") ? 1 : 0;
        }
        assertEquals(3, i8);
    }

    @Test
    void printsABeforeAfterTable() {
        Run q = run("quantize", "--model", pkg.toString(), "--calibration-data", "embedded", "--calibration-samples", "100",
                "--calibration", "percentile:99.9", "--quick", "--out", dir.resolve("text").toString());
        assertEquals(0, q.code(), q.err());
        for (String s : new String[] {"Linear -> QuantizedLinear", "test accuracy", "weights file", "smaller", "parameters",
                "samples/s, batch 1", "samples/s, batch 256", "percentile:99.9"}) {
            assertTrue(q.out().contains(s), "missing '" + s + "' in:\n" + q.out());
        }
    }

    @Test
    void badOptionsAreUsageErrorsThatSayWhatToFix() {
        Run zero = run("quantize", "--model", pkg.toString(), "--calibration-data", "embedded", "--calibration-samples", "0",
                "--out", dir.resolve("x").toString());
        assertEquals(2, zero.code());
        assertTrue(zero.err().contains("--calibration-samples must be at least 1"), zero.err());
        Run same = run("quantize", "--model", pkg.toString(), "--calibration-data", "embedded", "--out", pkg.toString());
        assertEquals(2, same.code());
        assertTrue(same.err().contains("is the --model package"), same.err());
        Run method = run("quantize", "--model", pkg.toString(), "--calibration-data", "embedded", "--calibration", "kl",
                "--out", dir.resolve("y").toString());
        assertEquals(2, method.code());
        assertTrue(method.err().contains("expected minmax, percentile or percentile:P"), method.err());
        Run missing = run("quantize", "--model", dir.resolve("nope").toString(), "--calibration-data", "embedded",
                "--out", dir.resolve("z").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("no such package"), missing.err());
    }
}
