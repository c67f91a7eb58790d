package dev.anvil.bench.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The report's PNG charts, drawn with XChart without a display: a rate against size per family (one line per
 * machine-backend pair, the device's limits as horizontal lines), the speed-up over reference, and training
 * samples/s. Every point carries JMH's confidence interval as an error bar.
 */
final class Charts {
    static {
        System.setProperty("java.awt.headless", "true"); // before the first AWT class: no display is needed
    }

    private static final int WIDTH = 900;
    private static final int HEIGHT = 520;

    private Charts() {
    }

    /** Writes {@code chart} as a PNG, atomically. */
    static void save(Chart<?, ?> chart, Path file) throws IOException {
        RunResults.writeAtomically(file, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
    }

    /** A family's rate against its x parameter, or null when it varies along no numeric parameter. */
    static XYChart family(Report report, Report.Family fam) {
        if (fam.xParam() == null || fam.kind() == Figure.Kind.TIME) {
            return null;
        }
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(fam.name() + ": " + fam.kind().unit()
                + " (error bars: JMH 99.9% CI)").xAxisTitle(fam.xParam()).yAxisTitle(fam.kind().unit()).build();
        style(chart.getStyler());
        chart.getStyler().setYAxisMin(0.0); // a rate is never negative, even where an error bar would reach below 0
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        Map<String, List<Figure>> series = new LinkedHashMap<>();
        double minX = Double.MAX_VALUE;
        double maxX = 0;
        for (String row : fam.rows()) {
            for (Map.Entry<Report.Column, Figure> e : fam.cells().get(row).entrySet()) {
                Figure f = e.getValue();
                String rest = Report.rowKeyWithout(f.result(), fam.xParam());
                String key = e.getKey().heading(report.several()) + (rest.isEmpty() ? "" : " (" + rest + ")");
                series.computeIfAbsent(key, k -> new ArrayList<>()).add(f);
                double x = Report.numeric(f.result(), fam.xParam());
                minX = Math.min(minX, x);
                maxX = Math.max(maxX, x);
            }
        }
        for (Map.Entry<String, List<Figure>> s : series.entrySet()) {
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            List<Double> es = new ArrayList<>();
            for (Figure f : s.getValue()) {
                xs.add(Report.numeric(f.result(), fam.xParam()));
                ys.add(f.value());
                es.add(Double.isNaN(f.error()) ? 0.0 : f.error());
            }
            chart.addSeries(s.getKey(), xs, ys, es).setMarker(SeriesMarkers.CIRCLE);
        }
        if (minX == maxX) {
            maxX = minX * 2;
        }
        // The limits of each machine's device(s) this family ran on.
        for (int run = 0; run < report.runs().size(); run++) {
            Roofline roof = report.roofline(run);
            List<String> devices = new ArrayList<>();
            for (Report.Column c : fam.columns()) {
                String d = Roofline.device(c.backend());
                if (c.run() == run && !devices.contains(d)) {
                    devices.add(d);
                }
            }
            String who = report.several() ? report.runs().get(run).label() + " " : "";
            for (String d : devices) {
                Roofline.Device dev = roof.device(d, true);
                if (fam.kind() == Figure.Kind.MEMORY) {
                    limitLine(chart, who + d + " STREAM triad", dev.triad() == null ? Double.NaN : dev.triad().value(), minX, maxX);
                    limitLine(chart, who + d + " STREAM copy", dev.copy() == null ? Double.NaN : dev.copy().value(), minX, maxX);
                } else if (fam.kind() == Figure.Kind.COMPUTE) {
                    limitLine(chart, who + d + " FMA peak", dev.fma() == null ? Double.NaN : dev.fma().gflops(), minX, maxX);
                    limitLine(chart, who + d + " best seen", dev.bestCompute() == null ? Double.NaN : dev.bestCompute().gflops(),
                            minX, maxX);
                }
            }
        }
        return chart;
    }

    private static void limitLine(XYChart chart, String name, double value, double minX, double maxX) {
        if (Double.isNaN(value) || chart.getSeriesMap().containsKey(name)) {
            return;
        }
        XYSeries s = chart.addSeries(String.format(Locale.ROOT, "%s %.3g", name, value), new double[] {minX, maxX},
                new double[] {value, value});
        s.setMarker(SeriesMarkers.NONE);
        s.setLineStyle(new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {8f, 5f}, 0f));
        s.setLineColor(name.contains("copy") || name.contains("best") ? Color.GRAY : Color.DARK_GRAY);
    }

    /** Bars of the speed-up over reference, one group per case, or null when nothing ran on reference. */
    static CategoryChart speedUp(Report report, List<Report.SpeedUp> speedUps) {
        if (speedUps.isEmpty()) {
            return null;
        }
        CategoryChart chart = new CategoryChartBuilder().width(Math.max(WIDTH, 60 * caseCount(speedUps))).height(HEIGHT)
                .title("Speed-up over reference (t_reference / t_backend; error bars: JMH 99.9% CI)")
                .yAxisTitle("x faster than reference").build();
        style(chart.getStyler());
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setXAxisLabelRotation(45);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        Map<String, Map<String, Report.SpeedUp>> bySeries = new LinkedHashMap<>();
        List<String> cases = new ArrayList<>();
        for (Report.SpeedUp s : speedUps) {
            String c = caseLabel(s.family(), s.row());
            if (!cases.contains(c)) {
                cases.add(c);
            }
            bySeries.computeIfAbsent(s.column().heading(report.several()), k -> new LinkedHashMap<>()).put(c, s);
        }
        for (Map.Entry<String, Map<String, Report.SpeedUp>> e : bySeries.entrySet()) {
            List<Double> ys = new ArrayList<>();
            List<Double> es = new ArrayList<>();
            for (String c : cases) {
                Report.SpeedUp s = e.getValue().get(c);
                // A missing case gets a bar of height 1 (no speed-up shown): XChart needs a value per category.
                ys.add(s == null ? 1.0 : s.value());
                es.add(s == null || Double.isNaN(s.error()) ? 0.0 : Math.min(s.error(), s.value() * 0.99));
            }
            chart.addSeries(e.getKey(), cases, ys, es);
        }
        return chart;
    }

    private static int caseCount(List<Report.SpeedUp> s) {
        return (int) s.stream().map(x -> caseLabel(x.family(), x.row())).distinct().count();
    }

    static String caseLabel(String family, String row) {
        return row.isEmpty() ? family : family + " " + row;
    }

    /**
     * GB/s of every memory-bound case (one group per case, one bar per machine-backend pair), with each machine's STREAM
     * copy and triad as bars of their own for scale; null when no case declares bytes.
     */
    static CategoryChart memory(Report report) {
        List<String> cases = new ArrayList<>();
        Map<String, Map<String, Figure>> bySeries = new LinkedHashMap<>(); // column heading -> case -> figure
        for (Report.Family fam : report.families()) {
            if (fam.kind() != Figure.Kind.MEMORY) {
                continue;
            }
            for (String row : fam.rows()) {
                String c = caseLabel(fam.name(), row);
                cases.add(c);
                for (Map.Entry<Report.Column, Figure> e : fam.cells().get(row).entrySet()) {
                    bySeries.computeIfAbsent(e.getKey().heading(report.several()), k -> new LinkedHashMap<>()).put(c, e.getValue());
                }
            }
        }
        if (cases.isEmpty()) {
            return null;
        }
        Map<String, Figure> roof = new LinkedHashMap<>();
        for (int run = 0; run < report.runs().size(); run++) {
            Roofline.Device cpu = report.roofline(run).device("cpu", true);
            String who = report.several() ? report.runs().get(run).label() + " " : "";
            if (cpu.copy() != null) {
                roof.put(who + "STREAM copy", cpu.copy());
            }
            if (cpu.triad() != null) {
                roof.put(who + "STREAM triad", cpu.triad());
            }
        }
        cases.addAll(roof.keySet());
        if (!roof.isEmpty()) {
            bySeries.put("roofline (StreamBench)", roof);
        }
        CategoryChart chart = new CategoryChartBuilder().width(Math.max(WIDTH, 70 * cases.size())).height(HEIGHT)
                .title("Memory-bound ops: GB/s (error bars: JMH 99.9% CI)").yAxisTitle("GB/s").build();
        style(chart.getStyler());
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setXAxisLabelRotation(30);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setOverlapped(false);
        for (Map.Entry<String, Map<String, Figure>> e : bySeries.entrySet()) {
            List<Double> ys = new ArrayList<>();
            List<Double> es = new ArrayList<>();
            for (String c : cases) {
                Figure f = e.getValue().get(c);
                // XChart needs a value per category: a case this column did not run is a bar of height 0.
                ys.add(f == null ? 0.0 : f.value());
                es.add(f == null || Double.isNaN(f.error()) ? 0.0 : f.error());
            }
            chart.addSeries(e.getKey(), cases, ys, es);
        }
        return chart;
    }

    /** Samples/s of the training cases per machine-backend pair, or null when there is none. */
    static CategoryChart training(Report report) {
        Map<String, Map<String, Figure>> bySeries = new LinkedHashMap<>(); // case -> column heading -> figure
        List<String> columns = new ArrayList<>();
        for (Report.Family fam : report.families()) {
            if (fam.kind() != Figure.Kind.SAMPLES || !fam.name().toLowerCase(Locale.ROOT).contains("train")) {
                continue;
            }
            for (String row : fam.rows()) {
                for (Map.Entry<Report.Column, Figure> e : fam.cells().get(row).entrySet()) {
                    String col = e.getKey().heading(report.several());
                    if (!columns.contains(col)) {
                        columns.add(col);
                    }
                    bySeries.computeIfAbsent(caseLabel(fam.name(), row), k -> new LinkedHashMap<>()).put(col, e.getValue());
                }
            }
        }
        if (bySeries.isEmpty()) {
            return null;
        }
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Training throughput (error bars: JMH 99.9% CI)").yAxisTitle("samples/s").build();
        style(chart.getStyler());
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        for (Map.Entry<String, Map<String, Figure>> e : bySeries.entrySet()) {
            List<Double> ys = new ArrayList<>();
            List<Double> es = new ArrayList<>();
            for (String col : columns) {
                Figure f = e.getValue().get(col);
                ys.add(f == null ? 0.0 : f.value());
                es.add(f == null || Double.isNaN(f.error()) ? 0.0 : f.error());
            }
            chart.addSeries(e.getKey(), columns, ys, es);
        }
        return chart;
    }

    private static void style(Styler s) {
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setLegendBorderColor(Color.LIGHT_GRAY);
        s.setAntiAlias(true);
    }
}
