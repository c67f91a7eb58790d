package dev.anvil.bench.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.XYChart;

/**
 * Writes a report folder: {@code report.md}, one PNG per chart, and (for a single run) {@code results.json}.
 *
 * <pre>{@code
 * RunResults run = RunResults.load(Path.of("bench/results/jmh-20261128.json"));
 * List<Path> files = ReportGenerator.write(List.of(run), Path.of("report"), "anvil report --from ...", true);
 * }</pre>
 */
public final class ReportGenerator {
    private ReportGenerator() {
    }

    /**
     * Writes the report of {@code runs} (one run, or several machines to compare) into {@code out}, each file
     * atomically; {@code command} is quoted in the report as the way to make it again. With {@code saveResults} and a
     * single run, results.json is written too. Returns the files written.
     */
    public static List<Path> write(List<RunResults> runs, Path out, String command, boolean saveResults) throws IOException {
        Report report = new Report(Report.distinctLabels(runs));
        List<Path> written = new ArrayList<>();
        if (saveResults && runs.size() == 1) {
            Path results = out.resolve("results.json");
            runs.getFirst().save(results);
            written.add(results);
        }
        Map<String, String> charts = new LinkedHashMap<>();
        for (Report.Family fam : report.families()) {
            XYChart chart = Charts.family(report, fam);
            if (chart != null) {
                String name = slug(fam.name()) + ".png";
                Charts.save(chart, out.resolve(name));
                charts.put(fam.name(), name);
                written.add(out.resolve(name));
            }
        }
        CategoryChart speedUp = Charts.speedUp(report, report.speedUps());
        if (speedUp != null) {
            Charts.save(speedUp, out.resolve("speedup.png"));
            charts.put("speedup", "speedup.png");
            written.add(out.resolve("speedup.png"));
        }
        CategoryChart memory = Charts.memory(report);
        if (memory != null) {
            Charts.save(memory, out.resolve("memory.png"));
            charts.put("memory", "memory.png");
            written.add(out.resolve("memory.png"));
        }
        CategoryChart training = Charts.training(report);
        if (training != null) {
            Charts.save(training, out.resolve("training.png"));
            charts.put("training", "training.png");
            written.add(out.resolve("training.png"));
        }
        Path md = out.resolve("report.md");
        RunResults.writeAtomically(md, new MarkdownReport(report, charts).render(command));
        written.add(md);
        return written;
    }

    /** {@code GemmBench.gemm} becomes {@code gemmbench-gemm}. */
    static String slug(String family) {
        return family.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    }
}
