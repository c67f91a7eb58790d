package dev.anvil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Runs the {@code anvil} command in-process and checks exit codes, output and error messages. */
class MainTest {

    /** One in-process run: exit code, stdout, stderr. */
    record Run(int code, String out, String err) {
        JsonObject json() {
            return JsonParser.parseString(out).getAsJsonObject();
        }
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = Main.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int code = cmd.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** An error is one line, "anvil: ...", and never a stack trace. */
    static void assertOneLineError(Run r) {
        String err = r.err().strip();
        assertFalse(err.contains("\n"), "expected one line on stderr, got:\n" + r.err());
        assertTrue(err.startsWith("anvil: "), r.err());
        assertFalse(err.contains("\tat ") || err.contains("Exception:"), r.err());
    }

    @Test
    void infoJsonListsReferenceAsAvailableAndASelection() {
        Run r = run("info", "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject info = r.json();
        assertTrue(info.get("java").getAsString().startsWith(Integer.toString(Runtime.version().feature())));
        assertFalse(info.get("os").getAsString().isBlank());
        JsonObject cpu = info.getAsJsonObject("cpu");
        assertTrue(cpu.get("cores").getAsInt() >= 1);
        assertTrue(cpu.get("vectorBits").getAsInt() >= 0);
        assertNotNull(cpu.get("model").getAsString());
        boolean referenceAvailable = false;
        for (JsonElement e : info.getAsJsonArray("backends")) {
            JsonObject b = e.getAsJsonObject();
            assertTrue(b.has("priority") && b.has("device") && b.has("reason"), b.toString());
            if (b.get("name").getAsString().equals("reference")) {
                referenceAvailable = b.get("available").getAsBoolean();
                assertTrue(b.get("reason").isJsonNull());
            }
        }
        assertTrue(referenceAvailable, r.out());
        assertFalse(info.get("selected").getAsString().isBlank());
    }

    @Test
    void infoTableNamesEveryBackendAndTheSelection() {
        Run r = run("info");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("reference"), r.out());
        assertTrue(r.out().contains("Selected: "), r.out());
        assertTrue(r.out().contains("SIMD width"), r.out());
    }

    @Test
    void unknownBackendExitsTwoNamingItAndTheKnownOnes() {
        Run r = run("--backend", "nosuch", "info");
        assertEquals(2, r.code());
        assertOneLineError(r);
        assertTrue(r.err().contains("'nosuch'") && r.err().contains("reference"), r.err());
        // info still prints its report, with the error marked
        assertTrue(r.out().contains("ERROR: unknown backend 'nosuch'"), r.out());
    }

    @Test
    void unknownBackendAfterTheSubcommandFailsBenchBeforeMeasuring() {
        Run r = run("bench", "--backend", "nosuch", "--op", "add", "--sizes", "16");
        assertEquals(2, r.code());
        assertOneLineError(r);
        assertTrue(r.err().contains("unknown backend 'nosuch'"), r.err());
        assertEquals("", r.out());
    }

    @Test
    void infoJsonReportsAnUnknownExplicitChoice() {
        Run r = run("info", "--json", "--backend", "nosuch");
        assertEquals(2, r.code());
        JsonObject info = r.json();
        assertTrue(info.get("selected").isJsonNull());
        assertTrue(info.get("error").getAsString().contains("nosuch"));
    }

    @Test
    void benchAddOnReferenceReportsBandwidthOnly() {
        Run r = run("bench", "--op", "add", "--sizes", "1024", "--backends", "reference", "--json");
        assertEquals(0, r.code(), r.err());
        JsonArray results = r.json().getAsJsonArray("results");
        assertEquals(1, results.size(), r.out());
        JsonObject res = results.get(0).getAsJsonObject();
        assertEquals("add", res.get("op").getAsString());
        assertEquals(1024, res.get("size").getAsInt());
        assertEquals("reference", res.get("backend").getAsString());
        assertTrue(res.get("gbps").getAsDouble() > 0, res.toString());
        assertTrue(res.get("gflops").isJsonNull(), res.toString());
        assertTrue(res.get("millis").getAsDouble() > 0, res.toString());
    }

    @Test
    void benchFileCasesRunOnceReportBandwidthAndLeaveNoScratchFiles(@TempDir Path scratch) throws Exception {
        Run r = run("bench", "--op", "load,save,save-durable", "--sizes", "40000", "--backends", "reference,cpu-vector",
                "--scratch", scratch.toString(), "--json", "--quick");
        assertEquals(0, r.code(), r.err());
        JsonArray results = r.json().getAsJsonArray("results");
        assertEquals(3, results.size(), "one row per file case, not per backend: " + r.out());
        for (JsonElement e : results) {
            JsonObject res = e.getAsJsonObject();
            assertTrue(res.get("gbps").getAsDouble() > 0 && res.get("millis").getAsDouble() > 0, res.toString());
        }
        try (var left = Files.list(scratch)) {
            assertEquals(0, left.count(), "scratch files must be deleted");
        }
        Run tooSmall = run("bench", "--op", "load", "--sizes", "16", "--scratch", scratch.toString(), "--json");
        assertEquals(Main.EXIT_FAILED, tooSmall.code());
        assertTrue(tooSmall.out().contains("use a size from 400 bytes up"), tooSmall.out());
    }

    @Test
    void benchMlpInferReportsLatencyPercentilesAndRate() {
        Run r = run("bench", "--op", "mlp-infer", "--sizes", "2", "--backends", "cpu-vector", "--json", "--quick");
        assertEquals(0, r.code(), r.err());
        JsonObject res = r.json().getAsJsonArray("results").get(0).getAsJsonObject();
        double p50 = res.get("p50_us").getAsDouble();
        double p99 = res.get("p99_us").getAsDouble();
        assertTrue(p50 > 0 && p99 >= p50, res.toString());
        assertEquals(2 / (p50 / 1e6), res.get("samples_per_second").getAsDouble(), 1e-6 * (2 / (p50 / 1e6)), res.toString());
        int calls = Integer.parseInt(res.get("data").getAsString().replace(" calls", ""));
        assertTrue(calls >= 100, "at least 100 timed calls: " + res);
    }

    @Test
    void benchGemmReportsFlopsOnly() {
        Run r = run("bench", "--op", "gemm", "--sizes", "8", "--json", "--quick");
        assertEquals(0, r.code(), r.err());
        JsonArray results = r.json().getAsJsonArray("results");
        assertEquals(1, results.size(), r.out());
        JsonObject res = results.get(0).getAsJsonObject();
        assertEquals("gemm", res.get("op").getAsString());
        assertTrue(res.get("gflops").getAsDouble() > 0, res.toString());
        assertTrue(res.get("gbps").isJsonNull(), res.toString());
    }

    @Test
    void benchTableShowsSpeedUpAgainstReferenceAndSkipsLargeReferenceGemm() {
        Run r = run("bench", "--op", "gemm,softmax", "--sizes", "8,600", "--backends", "reference", "--quick",
                "--repeats", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("VS REF"), r.out());
        assertTrue(r.out().contains("1.00x"), r.out());
        assertTrue(r.out().contains("skipped: reference gemm above n = 512"), r.out());
        assertTrue(r.out().matches("(?s).*softmax +256x600.*"), r.out());
    }

    @Test
    void badSizesExitTwo() {
        Run r = run("bench", "--sizes", "abc");
        assertEquals(2, r.code());
        assertOneLineError(r);
        assertTrue(r.err().contains("abc"), r.err());
    }

    @Test
    void nonPositiveSizesExitTwo() {
        Run r = run("bench", "--sizes", "0", "--op", "add");
        assertEquals(2, r.code());
        assertOneLineError(r);
    }

    @Test
    void unknownOpExitsTwoListingTheValidOnes() {
        Run r = run("bench", "--op", "conv");
        assertEquals(2, r.code());
        assertOneLineError(r);
        assertTrue(r.err().contains("gemm") && r.err().contains("softmax"), r.err());
    }

    @Test
    void zeroThreadsIsRejectedBeforeOrAfterTheSubcommand() {
        for (String[] args : new String[][] {{"--threads", "0", "info"}, {"info", "--threads", "0"}}) {
            Run r = run(args);
            assertEquals(2, r.code(), String.join(" ", args));
            assertOneLineError(r);
            assertTrue(r.err().contains("--threads"), r.err());
        }
    }

    @Test
    void missingSubcommandIsBadUsage() {
        Run r = run();
        assertEquals(2, r.code());
        assertOneLineError(r);
    }

    @Test
    void helpAndVersionWorkEverywhere() {
        assertEquals(0, run("--help").code());
        Run benchHelp = run("bench", "--help");
        assertEquals(0, benchHelp.code());
        assertTrue(benchHelp.out().contains("--sizes"), benchHelp.out());
        assertTrue(benchHelp.out().contains("--threads"), "global options are listed on sub-commands too");
        assertEquals(0, run("help", "info").code());
        Run version = run("info", "--version");
        assertEquals(0, version.code());
        assertTrue(version.out().startsWith("anvil "), version.out());
    }
}
