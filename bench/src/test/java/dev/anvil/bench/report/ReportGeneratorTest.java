package dev.anvil.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.anvil.bench.Work;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report generator on a recorded JMH JSON file (a real quick run on a busy 2-core machine, hence the wide
 * intervals). Expected figures were worked out by hand from the file's scores: rate = work x threads / time,
 * error = rate x scoreError / score.
 */
class ReportGeneratorTest {
    @TempDir
    Path dir;

    private Path recorded() throws IOException {
        Path p = dir.resolve("recorded-jmh.json");
        if (Files.exists(p)) {
            return p;
        }
        try (InputStream in = ReportGeneratorTest.class.getResourceAsStream("recorded-jmh.json")) {
            Files.copy(in, p);
        }
        return p;
    }

    @Test
    void workComesFromTheBenchmarkClasses() throws IOException {
        RunResults run = RunResults.load(recorded());
        assertEquals(24, run.results().size());
        assertEquals(new Work(2.0 * 256 * 256 * 256, 0, 0), run.work().get(7));            // GemmBench size=256
        assertEquals(new Work(0, 12.0 * 16777216, 0), run.work().get(15));                 // ElementwiseBench.add
        assertEquals(new Work(537600.0 * 128, 0, 128), run.work().get(19));               // MlpBench.trainStep batch=128
        assertEquals(new Work(2.0 * 12 * 100000 * lanes(), 0, 0), run.work().get(0));
    }

    /** Lanes of the preferred F32 vector here: the FMA benchmark's work depends on them. */
    static int lanes() {
        return jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
    }

    @Test
    void tablesShowRatesWithIntervalsFractionsAndJmhIndices() throws IOException {
        RunResults run = RunResults.load(recorded());
        ReportGenerator.write(List.of(run), dir.resolve("out"), "anvil report --from recorded-jmh.json", true);
        String md = Files.readString(dir.resolve("out/report.md"));
        // GEMM n=256 on cpu-vector: 2*256^3 / 0.655307 ms = 51.2 GFLOP/s, the best seen, so 100% of the limit.
        assertTrue(md.contains("51.2 ± 47.9 (100%) #7"), md);
        // reference n=512: 0.547 GFLOP/s, 1% of 51.2.
        assertTrue(md.contains("0.547 ± 0.122 (1%) #11"), md);
        // add on reference: 12 * 16Mi bytes / 95.9357 ms = 2.10 GB/s, 27% of the best GB/s seen (add on cpu-vector, 7.67).
        assertTrue(md.contains("2.10 ± 1.78 (27%) #17"), md);
        // MLP training step, batch 128 on cpu-vector: 612.8 samples/s.
        assertTrue(md.contains("613 ± 1126 (1%) #19"), md);
        // Speed-up of cpu-vector over reference at n=512: 490.646 / 13.156 = 37.3, errors in quadrature.
        assertTrue(md.contains("37.3 ± 55.3x"), md);
        // Roofline: STREAM triad on 2 threads = 2 * 12 * 16Mi / 81.648 ms = 4.93 GB/s; copy 5.59 GB/s.
        assertTrue(md.contains("4.93 ± 4.89 #2"), md);
        assertTrue(md.contains("5.59 ± 5.32 #1"), md);
        // Every result is listed with JMH's own score and error.
        assertTrue(md.contains("| 11 | GemmBench.gemm | reference | size=512 | 1 | 491 ± 109 ms/op | 268 MFLOP |"), md);
    }

    @Test
    void chartsAreValidPngs() throws IOException {
        RunResults run = RunResults.load(recorded());
        List<Path> files = ReportGenerator.write(List.of(run), dir.resolve("out"), "test", true);
        List<String> names = files.stream().map(p -> p.getFileName().toString()).toList();
        assertTrue(names.containsAll(List.of("gemmbench-gemm.png", "gemmrawbench-gemm.png", "speedup.png", "training.png",
                "report.md", "results.json")), names.toString());
        for (Path f : files) {
            if (f.toString().endsWith(".png")) {
                byte[] head = Arrays.copyOf(Files.readAllBytes(f), 8);
                assertTrue(Arrays.equals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, head), f + " is a PNG");
                BufferedImage img = ImageIO.read(f.toFile());
                assertNotNull(img, f + " decodes");
                assertTrue(img.getWidth() >= 900 && img.getHeight() == 520, f + " has the chart's size");
            }
        }
    }

    @Test
    void resultsJsonRoundTripsWithTheRoofline() throws IOException {
        RunResults run = RunResults.load(recorded());
        Path out = dir.resolve("results.json");
        run.save(out);
        JsonObject o = JsonParser.parseString(Files.readString(out)).getAsJsonObject();
        assertEquals(RunResults.FORMAT, o.get("format").getAsString());
        JsonObject cpu = o.getAsJsonObject("roofline").getAsJsonObject("cpu");
        assertEquals(0, cpu.getAsJsonObject("fmaGflops").get("jmh").getAsInt());
        assertEquals(7, cpu.getAsJsonObject("bestGflops").get("jmh").getAsInt());
        assertEquals(51.204, cpu.get("computeLimitGflops").getAsDouble(), 1e-3);
        RunResults again = RunResults.load(out);
        assertEquals(run.work(), again.work());
        assertEquals(run.results(), again.results());
    }

    @Test
    void compareGivesOneColumnPerMachineAndBackend() throws IOException {
        RunResults a = RunResults.load(recorded()).withLabel("laptop");
        RunResults b = RunResults.load(recorded()).withLabel("laptop");
        ReportGenerator.write(List.of(a, b), dir.resolve("cmp"), "test", false);
        String md = Files.readString(dir.resolve("cmp/report.md"));
        assertTrue(md.contains("| case | laptop: reference | laptop: cpu-vector | laptop: openblas | laptop (2): reference |"), md);
        assertTrue(!Files.exists(dir.resolve("cmp/results.json")), "a comparison writes no results.json of its own");
    }

    @Test
    void readmeExcerptReplacesOnlyTheMarkedBlock() throws IOException {
        RunResults run = RunResults.load(recorded());
        Path readme = Files.writeString(dir.resolve("README.md"), "intro\n" + ReadmeExcerpt.BEGIN + "\nold\n" + ReadmeExcerpt.END
                + "\noutro\n");
        ReadmeExcerpt.update(readme, dir.resolve("docs/example"), run, "anvil report --quick");
        String text = Files.readString(readme);
        assertTrue(text.startsWith("intro\n" + ReadmeExcerpt.BEGIN + "\nGenerated by `anvil report --quick`"), text);
        assertTrue(text.endsWith(ReadmeExcerpt.END + "\noutro\n"), text);
        assertTrue(!text.contains("old"), text);
        assertTrue(text.contains("51.2 ± 47.9 (100%) #7"), text);
        assertTrue(text.contains("](docs/example/gemmbench-gemm.png)"), text);
    }

    @Test
    void badFilesAreRefusedWithTheFileAndField() throws IOException {
        Path notJson = Files.writeString(dir.resolve("a.json"), "{nope");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunResults.load(notJson));
        assertTrue(e.getMessage().startsWith(notJson + ": not valid JSON"), e.getMessage());

        Path noMetric = Files.writeString(dir.resolve("b.json"), "[{\"benchmark\": \"dev.anvil.bench.GemmBench.gemm\"}]");
        e = assertThrows(IllegalArgumentException.class, () -> RunResults.load(noMetric));
        assertTrue(e.getMessage().contains("b.json: jmh[0] (dev.anvil.bench.GemmBench.gemm): missing \"primaryMetric\""), e.getMessage());

        Path mismatch = Files.writeString(dir.resolve("c.json"), "{\"jmh\": [], \"work\": [null]}");
        e = assertThrows(IllegalArgumentException.class, () -> RunResults.load(mismatch));
        assertTrue(e.getMessage().contains("\"work\" has 1 entries but \"jmh\" has 0"), e.getMessage());

        Path badParam = Files.writeString(dir.resolve("d.json"), "[{\"benchmark\": \"dev.anvil.bench.GemmBench.gemm\", "
                + "\"params\": {\"size\": \"big\"}, \"primaryMetric\": {\"score\": 1, \"scoreError\": 0.1, \"scoreUnit\": \"ms/op\"}}]");
        e = assertThrows(IllegalArgumentException.class, () -> RunResults.load(badParam));
        assertTrue(e.getMessage().contains("parameter size='big' cannot be set"), e.getMessage());
    }
}
