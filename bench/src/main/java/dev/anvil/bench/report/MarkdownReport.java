package dev.anvil.bench.report;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.anvil.bench.Work;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The text of report.md: the machines, their rooflines, one table per benchmark family (a rate with JMH's 99.9%
 * confidence interval and the fraction of the device's limit, per machine-backend pair), the speed-ups over
 * reference, and a table of every JMH result with its index in results.json, so each number can be traced.
 */
final class MarkdownReport {
    private final Report report;
    private final Map<String, String> charts;

    /** {@code charts}: family name (or "speedup", "training") to the PNG file name written beside report.md. */
    MarkdownReport(Report report, Map<String, String> charts) {
        this.report = report;
        this.charts = charts;
    }

    String render(String command) {
        StringBuilder md = new StringBuilder();
        md.append("# Anvil benchmark report\n\n");
        md.append("Made by `").append(command).append("`");
        if (!report.several()) {
            JsonObject meta = report.runs().getFirst().meta();
            md.append(meta.has("created") ? " on " + meta.get("created").getAsString() : "");
            if (meta.has("mode")) {
                md.append(" (").append(meta.get("mode").getAsString()).append(" mode");
                md.append(meta.has("wallSeconds") ? String.format(Locale.ROOT, ", %.0f s", meta.get("wallSeconds").getAsDouble()) : "");
                md.append(meta.has("jmhSettings") ? "; JMH: " + meta.get("jmhSettings").getAsString() : "").append(")");
                if (meta.has("loadAverage")) {
                    md.append(". Load average of the machine while it ran: ").append(meta.get("loadAverage").getAsString())
                            .append(" (other processes compete for the cores when it exceeds their count)");
                }
            } else if (meta.has("source")) {
                md.append(" from ").append(meta.get("source").getAsString());
            }
        }
        md.append(". Every figure is JMH's score turned into a rate with the work the benchmark declares "
                + "(`Workload.work`); ± is JMH's 99.9% confidence interval carried to the rate to first order; a percentage is "
                + "the share of that device's measured limit (see Roofline). `#n` is the index of the JMH result in "
                + "results.json's `jmh` array.\n\n");
        machines(md);
        roofline(md);
        for (Report.Family fam : report.families()) {
            family(md, fam, "## ");
        }
        if (charts.containsKey("memory")) {
            md.append("## Memory-bound ops\n\n![GB/s of the memory-bound ops](").append(charts.get("memory")).append(")\n\n");
        }
        speedUps(md);
        if (charts.containsKey("training")) {
            md.append("## Training throughput\n\n![training samples/s](").append(charts.get("training")).append(")\n\n");
        }
        everything(md);
        return md.toString();
    }

    private void machines(StringBuilder md) {
        md.append("## Machine").append(report.several() ? "s" : "").append("\n\n");
        List<String> head = new ArrayList<>(List.of(""));
        report.runs().forEach(r -> head.add(r.label()));
        row(md, head);
        sep(md, head.size());
        String[][] facts = {{"CPU", "cpu.model"}, {"cores", "cpu.cores"}, {"compute threads", "threads"},
            {"SIMD bits", "cpu.vectorBits"}, {"CPU features", "cpu.features"}, {"Java", "java"}, {"OS", "os"}, {"Anvil", "anvil"}};
        for (String[] f : facts) {
            List<String> cells = new ArrayList<>(List.of(f[0]));
            report.runs().forEach(r -> cells.add(fact(r.machine(), f[1])));
            row(md, cells);
        }
        List<String> ran = new ArrayList<>(List.of("backends run"));
        List<String> skipped = new ArrayList<>(List.of("backends skipped"));
        for (int i = 0; i < report.runs().size(); i++) {
            RunResults r = report.runs().get(i);
            List<String> names = new ArrayList<>();
            r.results().forEach(x -> {
                if (!Roofline.isRoofBenchmark(x) && !names.contains(x.backend())) {
                    names.add(x.backend());
                }
            });
            names.sort((a, b) -> Integer.compare(Report.backendRank(a), Report.backendRank(b)));
            ran.add(String.join(", ", names));
            List<String> why = new ArrayList<>();
            for (JsonElement s : r.skipped()) {
                JsonObject o = s.getAsJsonObject();
                why.add(o.get("backend").getAsString() + ": " + o.get("reason").getAsString());
            }
            skipped.add(why.isEmpty() ? "none" : String.join("; ", why));
        }
        row(md, ran);
        row(md, skipped);
        md.append('\n');
    }

    private static String fact(JsonObject machine, String path) {
        JsonElement e = machine;
        for (String part : path.split("\\.")) {
            if (e == null || !e.isJsonObject() || !e.getAsJsonObject().has(part)) {
                return "unknown";
            }
            e = e.getAsJsonObject().get(part);
        }
        if (e.isJsonArray()) {
            List<String> parts = new ArrayList<>();
            e.getAsJsonArray().forEach(x -> parts.add(x.getAsString()));
            return String.join(" ", parts);
        }
        return e.isJsonNull() ? "unknown" : e.getAsString();
    }

    private void roofline(StringBuilder md) {
        md.append("## Roofline (measured on the spot)\n\n");
        md.append("Compute: `PeakFlopsBench` runs independent chains of vector FMAs in registers on every core; the best "
                + "GFLOP/s any other benchmark reached on the device is shown beside it, and the larger is the limit. Memory: "
                + "`StreamBench` copy (8 bytes/element) and triad (12 bytes/element) on 64 MiB arrays per core; the limit is "
                + "the largest of them and of any other benchmark's GB/s. The GPU has no FMA microbenchmark yet: its limits "
                + "are the best seen.\n\n");
        List<String> head = List.of("machine", "device", "FMA peak GFLOP/s", "best GFLOP/s seen", "compute limit",
                "nominal peak (anvil info)", "copy GB/s", "triad GB/s", "memory limit GB/s");
        row(md, head);
        sep(md, head.size());
        for (int i = 0; i < report.runs().size(); i++) {
            RunResults run = report.runs().get(i);
            for (Map.Entry<String, Roofline.Device> e : report.roofline(i).devices().entrySet()) {
                Roofline.Device d = e.getValue();
                row(md, List.of(run.label(), e.getKey(), gflops(d.fma()), bestGflops(d.bestCompute()), num(d.computeLimit()),
                        nominal(run.machine(), e.getKey()), gbps(d.copy()), gbps(d.triad()), num(d.memoryLimit())));
            }
        }
        md.append('\n');
    }

    private static String nominal(JsonObject machine, String device) {
        if (!machine.has("backends")) {
            return "unknown";
        }
        double best = 0;
        for (JsonElement b : machine.getAsJsonArray("backends")) {
            JsonObject o = b.getAsJsonObject();
            if (Roofline.device(o.get("name").getAsString()).equals(device) && o.has("peakGflops")
                    && !o.get("peakGflops").isJsonNull() && o.get("available").getAsBoolean()) {
                best = Math.max(best, o.get("peakGflops").getAsDouble());
            }
        }
        return best > 0 ? num(best) + " (estimate)" : "unknown";
    }

    private static String gflops(Figure f) {
        return f == null ? "not measured" : pm(f.gflops(), f.gflopsError()) + " #" + f.result().index();
    }

    private static String bestGflops(Figure f) {
        return f == null ? "none" : pm(f.gflops(), f.gflopsError()) + " (" + f.result().family() + " " + f.result().backend()
                + " " + f.result().shape() + ") #" + f.result().index();
    }

    private static String gbps(Figure f) {
        return f == null ? "not measured" : pm(f.value(), f.error()) + " #" + f.result().index();
    }

    /** The table of one family (its chart below it). */
    void family(StringBuilder md, Report.Family fam, String heading) {
        md.append(heading).append(fam.name()).append(": ").append(fam.kind().unit()).append("\n\n");
        List<String> head = new ArrayList<>(List.of("case"));
        fam.columns().forEach(c -> head.add(c.heading(report.several())));
        row(md, head);
        sep(md, head.size());
        for (String r : fam.rows()) {
            List<String> cells = new ArrayList<>(List.of(r.isEmpty() ? "-" : r));
            for (Report.Column c : fam.columns()) {
                Figure f = fam.cells().get(r).get(c);
                cells.add(f == null ? "" : cell(f, report.roofline(c.run())));
            }
            row(md, cells);
        }
        md.append('\n');
        String chart = charts.get(fam.name());
        if (chart != null) {
            md.append("![").append(fam.name()).append("](").append(chart).append(")\n\n");
        }
    }

    /** {@code value ± error (p% of limit) #index}. */
    static String cell(Figure f, Roofline roof) {
        String s = pm(f.value(), f.error());
        double frac = roof.fraction(f);
        if (!Double.isNaN(frac)) {
            s += String.format(Locale.ROOT, " (%.0f%%)", 100 * frac);
        }
        return s + " #" + f.result().index();
    }

    private void speedUps(StringBuilder md) {
        List<Report.SpeedUp> s = report.speedUps();
        if (s.isEmpty()) {
            return;
        }
        md.append("## Speed-up over reference\n\n");
        md.append("t_reference / t_backend on the same machine and case; ± combines both confidence intervals.\n\n");
        List<Report.Column> columns = new ArrayList<>();
        List<String> cases = new ArrayList<>();
        for (Report.SpeedUp x : s) {
            if (!columns.contains(x.column())) {
                columns.add(x.column());
            }
            String c = Charts.caseLabel(x.family(), x.row());
            if (!cases.contains(c)) {
                cases.add(c);
            }
        }
        columns.sort((a, b) -> a.run() != b.run() ? Integer.compare(a.run(), b.run())
                : Integer.compare(Report.backendRank(a.backend()), Report.backendRank(b.backend())));
        List<String> head = new ArrayList<>(List.of("case"));
        columns.forEach(c -> head.add(c.heading(report.several())));
        row(md, head);
        sep(md, head.size());
        for (String c : cases) {
            List<String> cells = new ArrayList<>(List.of(c));
            for (Report.Column col : columns) {
                Report.SpeedUp hit = null;
                for (Report.SpeedUp x : s) {
                    if (x.column().equals(col) && Charts.caseLabel(x.family(), x.row()).equals(c)) {
                        hit = x;
                    }
                }
                cells.add(hit == null ? "" : pm(hit.value(), hit.error()) + "x");
            }
            row(md, cells);
        }
        md.append('\n');
        if (charts.containsKey("speedup")) {
            md.append("![speed-up over reference](").append(charts.get("speedup")).append(")\n\n");
        }
    }

    private void everything(StringBuilder md) {
        md.append("## Every result\n\n");
        md.append("JMH's score ± its 99.9% confidence interval, the work one operation declares, and the figure made from "
                + "them (work x threads / time).\n\n");
        List<String> head = new ArrayList<>(List.of("#"));
        if (report.several()) {
            head.add("machine");
        }
        head.addAll(List.of("benchmark", "backend", "params", "threads", "JMH score", "work / op", "figure", "% of limit"));
        row(md, head);
        sep(md, head.size());
        for (int i = 0; i < report.runs().size(); i++) {
            for (Figure f : report.figures(i)) {
                JmhResult r = f.result();
                List<String> cells = new ArrayList<>(List.of(Integer.toString(r.index())));
                if (report.several()) {
                    cells.add(report.runs().get(i).label());
                }
                double frac = report.roofline(i).fraction(f);
                cells.addAll(List.of(r.family(), r.backend(), r.shape().isEmpty() ? "-" : r.shape(), Integer.toString(r.threads()),
                        pm(r.score(), r.scoreError()) + " " + r.unit(), work(f.work()), pm(f.value(), f.error()) + " "
                                + f.kind().unit(), Double.isNaN(frac) ? "" : String.format(Locale.ROOT, "%.0f%%", 100 * frac)));
                row(md, cells);
            }
        }
        md.append('\n');
    }

    private static String work(Work w) {
        if (w == null) {
            return "not declared";
        }
        List<String> parts = new ArrayList<>();
        if (w.flops() > 0) {
            parts.add(num(w.flops() / 1e6) + " MFLOP");
        }
        if (w.bytes() > 0) {
            parts.add(num(w.bytes() / 1e6) + " MB");
        }
        if (w.samples() > 0) {
            parts.add(num(w.samples()) + " samples");
        }
        return String.join(", ", parts);
    }

    /** A value with its error at the value's precision ({@code 79.1 ± 2.3}); "± ?" when JMH gave no interval. */
    static String pm(double v, double e) {
        return num(v) + (Double.isNaN(e) ? " ± ?" : " ± " + String.format(Locale.ROOT, "%." + decimals(v) + "f", e));
    }

    /** Three significant figures, no exponent for ordinary magnitudes. */
    static String num(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        return String.format(Locale.ROOT, "%." + decimals(v) + "f", v);
    }

    private static int decimals(double v) {
        double a = Math.abs(v);
        if (a >= 100 || a == 0) {
            return 0;
        }
        if (a >= 10) {
            return 1;
        }
        if (a >= 1) {
            return 2;
        }
        return Math.min(6, 2 - (int) Math.floor(Math.log10(a)));
    }

    static void row(StringBuilder md, List<String> cells) {
        md.append('|');
        for (String c : cells) {
            md.append(' ').append(c.replace("|", "\\|")).append(" |");
        }
        md.append('\n');
    }

    static void sep(StringBuilder md, int n) {
        md.append('|');
        md.append("---|".repeat(n));
        md.append('\n');
    }
}
