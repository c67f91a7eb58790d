package dev.anvil.bench.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One or more runs (one per machine) arranged for reading: their figures, rooflines, and the cases grouped by
 * benchmark family with one column per machine-backend pair. {@link MarkdownReport} and {@link Charts} draw from it.
 *
 * <pre>{@code
 * Report report = new Report(List.of(RunResults.load(a), RunResults.load(b)));
 * report.families().forEach(f -> System.out.println(f.name() + ": " + f.columns()));
 * }</pre>
 */
public final class Report {
    /** Backends in the order columns show them; others follow alphabetically. */
    private static final List<String> ORDER = List.of("reference", "cpu-vector", "openblas", "openblas-raw", "cuda", "cuda-raw");

    private final List<RunResults> runs;
    private final List<List<Figure>> figures = new ArrayList<>();
    private final List<Roofline> rooflines = new ArrayList<>();

    /** A column: one backend on one machine. */
    public record Column(int run, String label, String backend) {
        /** The heading: the backend alone for one machine, {@code machine: backend} for several. */
        String heading(boolean several) {
            return several ? label + ": " + backend : backend;
        }
    }

    /**
     * The cases of one benchmark method: rows are parameter sets (without the backend), columns the machine-backend
     * pairs that ran it.
     */
    public record Family(String name, Figure.Kind kind, List<String> rows, List<Column> columns,
            Map<String, Map<Column, Figure>> cells, String xParam) {
    }

    /** Arranges {@code runs}; their labels must differ (see {@link #distinctLabels}). */
    public Report(List<RunResults> runs) {
        if (runs.isEmpty()) {
            throw new IllegalArgumentException("a report needs at least one run");
        }
        this.runs = List.copyOf(runs);
        for (RunResults r : runs) {
            List<Figure> f = Figures.of(r);
            figures.add(f);
            rooflines.add(Roofline.of(f));
        }
    }

    /** The runs, relabelled where two share a label ({@code label (2)}), so that columns stay apart. */
    public static List<RunResults> distinctLabels(List<RunResults> runs) {
        List<RunResults> out = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (RunResults r : runs) {
            String label = r.label();
            for (int n = 2; seen.contains(label); n++) {
                label = r.label() + " (" + n + ")";
            }
            seen.add(label);
            out.add(label.equals(r.label()) ? r : r.withLabel(label));
        }
        return out;
    }

    public List<RunResults> runs() {
        return runs;
    }

    /** True when more than one machine is compared. */
    public boolean several() {
        return runs.size() > 1;
    }

    public List<Figure> figures(int run) {
        return figures.get(run);
    }

    public Roofline roofline(int run) {
        return rooflines.get(run);
    }

    /** The benchmark families other than the roofline's own, in the order first met. */
    public List<Family> families() {
        Map<String, List<int[]>> byFamily = new LinkedHashMap<>(); // family -> (run, figure index)
        for (int run = 0; run < runs.size(); run++) {
            List<Figure> fs = figures.get(run);
            for (int i = 0; i < fs.size(); i++) {
                JmhResult r = fs.get(i).result();
                if (!Roofline.isRoofBenchmark(r)) {
                    byFamily.computeIfAbsent(r.family(), k -> new ArrayList<>()).add(new int[] {run, i});
                }
            }
        }
        List<Family> out = new ArrayList<>();
        byFamily.forEach((name, refs) -> out.add(family(name, refs)));
        return out;
    }

    private Family family(String name, List<int[]> refs) {
        record Member(Column column, Figure figure) {
        }
        List<Member> members = new ArrayList<>();
        List<Column> columns = new ArrayList<>();
        for (int[] ref : refs) {
            Figure f = figures.get(ref[0]).get(ref[1]);
            Column c = new Column(ref[0], runs.get(ref[0]).label(), f.result().backend());
            members.add(new Member(c, f));
            if (!columns.contains(c)) {
                columns.add(c);
            }
        }
        columns.sort(Comparator.comparingInt(Column::run).thenComparing(c -> backendRank(c.backend())));
        String x = xParam(members.stream().map(Member::figure).toList());
        members.sort(Comparator.comparing((Member m) -> rowKeyWithout(m.figure().result(), x))
                .thenComparingDouble(m -> numeric(m.figure().result(), x)));
        Map<String, Map<Column, Figure>> cells = new LinkedHashMap<>();
        for (Member m : members) {
            cells.computeIfAbsent(m.figure().result().shape(), k -> new LinkedHashMap<>()).put(m.column(), m.figure());
        }
        Figure.Kind kind = members.getFirst().figure().kind();
        return new Family(name, kind, List.copyOf(cells.keySet()), List.copyOf(columns), cells, x);
    }

    static int backendRank(String backend) {
        int i = ORDER.indexOf(backend);
        return i >= 0 ? i : ORDER.size();
    }

    /** The parameter the family varies along, for charts: size, else batch, else another numeric one; null if none. */
    static String xParam(List<Figure> members) {
        Map<String, Set<String>> values = new LinkedHashMap<>();
        for (Figure f : members) {
            f.result().params().forEach((k, v) -> {
                if (!k.equals("backend") && !k.equals("device") && isNumber(v)) {
                    values.computeIfAbsent(k, key -> new LinkedHashSet<>()).add(v);
                }
            });
        }
        for (String preferred : List.of("size", "batch")) {
            if (values.getOrDefault(preferred, Set.of()).size() > 1) {
                return preferred;
            }
        }
        for (Map.Entry<String, Set<String>> e : values.entrySet()) {
            if (e.getValue().size() > 1) {
                return e.getKey();
            }
        }
        return null;
    }

    /** The parameters other than backend and {@code x}, as a sort and series key. */
    static String rowKeyWithout(JmhResult r, String x) {
        StringBuilder sb = new StringBuilder();
        r.params().forEach((k, v) -> {
            if (!k.equals("backend") && !k.equals("device") && !k.equals(x)) {
                sb.append(sb.isEmpty() ? "" : ", ").append(k).append('=').append(v);
            }
        });
        return sb.toString();
    }

    static double numeric(JmhResult r, String x) {
        return x == null ? 0 : Double.parseDouble(r.params().get(x));
    }

    static boolean isNumber(String s) {
        try {
            Double.parseDouble(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /**
     * The speed-up of each non-reference column over {@code reference} on the same machine and case:
     * {@code t_reference / t_backend}, with the two relative errors added in quadrature.
     */
    public record SpeedUp(String family, String row, Column column, double value, double error) {
    }

    /** Every speed-up over reference this report can show. */
    public List<SpeedUp> speedUps() {
        List<SpeedUp> out = new ArrayList<>();
        for (Family fam : families()) {
            for (String row : fam.rows()) {
                Map<Column, Figure> cells = fam.cells().get(row);
                for (Map.Entry<Column, Figure> e : cells.entrySet()) {
                    Column c = e.getKey();
                    if (c.backend().equals("reference")) {
                        continue;
                    }
                    Figure ref = cells.get(new Column(c.run(), c.label(), "reference"));
                    if (ref == null) {
                        continue;
                    }
                    JmhResult a = ref.result();
                    JmhResult b = e.getValue().result();
                    double v = a.seconds() / b.seconds();
                    double rel = Math.hypot(a.errorSeconds() / a.seconds(), b.errorSeconds() / b.seconds());
                    out.add(new SpeedUp(fam.name(), row, c, v, v * rel));
                }
            }
        }
        return out;
    }
}
