package dev.anvil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code anvil report}, run in-process through {@link Main#commandLine()}. */
class ReportCommandTest {
    @TempDir
    Path tmp;

    private Path recorded() throws IOException {
        Path p = tmp.resolve("recorded-jmh.json");
        if (Files.exists(p)) {
            return p;
        }
        try (InputStream in = ReportCommandTest.class.getResourceAsStream("/dev/anvil/bench/report/recorded-jmh.json")) {
            Files.copy(in, p);
        }
        return p;
    }

    @Test
    void aRunOfOneBenchmarkWritesResultsWithTheMachineAndRoofline() throws IOException {
        Path out = tmp.resolve("smoke");
        MainTest.Run r = MainTest.run("report", "--smoke", "--only", "GemmShapeBench", "--backends", "cpu-vector,cuda",
                "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("skipping cuda"), r.err());
        JsonObject results = JsonParser.parseString(Files.readString(out.resolve("results.json"))).getAsJsonObject();
        assertEquals("smoke", results.getAsJsonObject("meta").get("mode").getAsString());
        assertTrue(results.getAsJsonObject("machine").has("cpu"), "results.json carries anvil info --json");
        assertEquals("cuda", results.getAsJsonArray("skipped").get(0).getAsJsonObject().get("backend").getAsString());
        assertTrue(results.getAsJsonObject("roofline").getAsJsonObject("cpu").get("fmaGflops").isJsonObject());
        assertEquals(results.getAsJsonArray("jmh").size(), results.getAsJsonArray("work").size());
        String md = Files.readString(out.resolve("report.md"));
        assertTrue(md.contains("## GemmShapeBench.gemm: GFLOP/s"), md);
        assertTrue(md.contains("cuda: libcuda") || md.contains("cuda: "), "the report says why cuda was skipped");
    }

    @Test
    void compareMergesRunsIntoOneColumnPerMachineAndBackend() throws IOException {
        Path rec = recorded();
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        assertEquals(0, MainTest.run("report", "--from", rec.toString(), "--label", "laptop", "--out", a.toString()).code());
        assertEquals(0, MainTest.run("report", "--from", rec.toString(), "--label", "server", "--out", b.toString()).code());
        Path c = tmp.resolve("c");
        MainTest.Run r = MainTest.run("report", "--compare", a.resolve("results.json").toString(),
                b.resolve("results.json").toString(), "--out", c.toString());
        assertEquals(0, r.code(), r.err());
        String md = Files.readString(c.resolve("report.md"));
        assertTrue(md.contains("| laptop: cpu-vector |") && md.contains("| server: cpu-vector |"), md);
    }

    @Test
    void badInputIsExitTwoWithTheReason() throws IOException {
        MainTest.Run r = MainTest.run("report", "--compare", tmp.resolve("missing.json").toString(), "--out", tmp.toString());
        assertEquals(2, r.code());
        MainTest.assertOneLineError(r);
        assertTrue(r.err().contains("missing.json is not a file"), r.err());

        Path bad = Files.writeString(tmp.resolve("bad.json"), "{\"jmh\": [{\"benchmark\": \"x.Y.z\"}]}");
        r = MainTest.run("report", "--from", bad.toString(), "--out", tmp.resolve("o").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("bad.json: jmh[0]: missing \"primaryMetric\"") || r.err().contains("primaryMetric"), r.err());

        r = MainTest.run("report", "--quick", "--backends", "nosuch", "--out", tmp.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown backend 'nosuch'"), r.err());

        r = MainTest.run("report", "--quick", "--only", "NoSuchBench", "--out", tmp.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--only: no benchmark 'NoSuchBench'"), r.err());

        Path readme = Files.writeString(tmp.resolve("README.md"), "no markers here\n");
        r = MainTest.run("report", "--from", recorded().toString(), "--out", tmp.resolve("x").toString(), "--readme",
                readme.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("anvil-report:begin"), r.err());
    }
}
