package dev.anvil.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole pipeline on real JMH runs: one tiny case per kind, in this JVM, then the report from them. */
class SmokeSuiteTest {
    @TempDir
    Path dir;

    @Test
    void everyKindRunsAndReachesTheReport() throws Exception {
        Suite suite = Suite.smoke().withDiscovered();
        StringWriter progress = new StringWriter();
        JsonArray jmh = SuiteRunner.run(suite, List.of("reference", "cpu-vector"), List.of("openblas-raw"), dir,
                new PrintWriter(progress, true), List.of());
        assertTrue(!progress.toString().contains("failed"), progress.toString());

        RunResults run = RunResults.of("smoke", new JsonObject(), new JsonObject(), new JsonArray(), jmh, "smoke");
        Set<String> families = new LinkedHashSet<>();
        run.results().forEach(r -> families.add(r.family()));
        for (Suite.Entry e : suite.entries()) {
            assertTrue(families.contains(e.family()), "no result for " + e.family() + " in " + families);
        }
        for (int i = 0; i < run.results().size(); i++) {
            assertNotNull(run.work().get(i), "every benchmark of the suite declares its work: " + run.results().get(i).benchmark());
            assertTrue(run.results().get(i).seconds() > 0);
        }
        Roofline.Device cpu = Roofline.of(run).device("cpu", true);
        assertNotNull(cpu.fma());
        assertNotNull(cpu.triad());
        assertTrue(cpu.computeLimit() > 0 && cpu.memoryLimit() > 0);

        List<Path> files = ReportGenerator.write(List.of(run), dir.resolve("out"), "test", true);
        String md = Files.readString(dir.resolve("out/report.md"));
        for (String f : families) {
            if (!Roofline.isRoofBenchmark(run.results().stream().filter(r -> r.family().equals(f)).findFirst().orElseThrow())) {
                assertTrue(md.contains("## " + f + ": "), "report.md has a table for " + f);
            }
        }
        assertTrue(md.contains("## Speed-up over reference"));
        assertTrue(files.contains(dir.resolve("out/training.png")));
        assertTrue(files.contains(dir.resolve("out/gemmbench-gemm.png")));
        assertEquals(run.results().size(), RunResults.load(dir.resolve("out/results.json")).results().size());
    }
}
