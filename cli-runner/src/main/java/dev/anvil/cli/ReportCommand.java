package dev.anvil.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.anvil.BackendStatus;
import dev.anvil.Backends;
import dev.anvil.bench.report.ReadmeExcerpt;
import dev.anvil.bench.report.RunResults;
import dev.anvil.bench.report.ReportGenerator;
import dev.anvil.bench.report.Roofline;
import dev.anvil.bench.report.Suite;
import dev.anvil.bench.report.SuiteRunner;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code anvil report}: runs the JMH suite of the bench module on every chosen backend, measures this machine's
 * roofline (FMA peak, STREAM copy and triad), and writes {@code report.md}, {@code results.json} and PNG charts;
 * or merges earlier results.json files of several machines into one report ({@code --compare}), or re-renders one
 * ({@code --from}). The benchmarks run in forked JVMs with this jar on their class path.
 */
@Command(name = "report", sortOptions = false,
        description = {"Benchmark every backend with JMH, measure this machine's roofline, and write report.md, results.json "
                + "and PNG charts (or compare several machines' results.json).",
                "Quick mode takes about 4 minutes on a 2-core machine; the full suite, 40 minutes or more."})
final class ReportCommand implements Callable<Integer> {
    private static final Set<String> RAW = Set.of("openblas-raw", "cuda-raw");

    @Spec
    private CommandSpec spec;

    @Option(names = "--quick", description = "The quick suite: a few sizes per op, short iterations (under 5 minutes here).")
    private boolean quick;

    /** For tests: the smoke suite (one tiny case per kind, in this JVM) through the real command. */
    @Option(names = "--smoke", hidden = true)
    private boolean smoke;

    @Option(names = "--backends", paramLabel = "all|NAME[,NAME...]", defaultValue = "all",
            description = "Backends to run: 'all' available ones (the default; unavailable ones are listed as skipped, with "
                    + "the reason) or names. openblas-raw and cuda-raw (the library called directly) come with openblas and "
                    + "cuda unless the list names raw ones itself.")
    private String backends;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "report",
            description = "Folder for report.md, results.json, the charts and jmh.log. Default: ${DEFAULT-VALUE}.")
    private Path out;

    @Option(names = "--label", paramLabel = "NAME",
            description = "This machine's name in comparisons. Default: its CPU and core count (and GPU).")
    private String label;

    @Option(names = "--only", split = ",", paramLabel = "BENCH",
            description = "Run only these benchmarks (class names or Class.method, e.g. GemmBench,MlpBench.infer); the "
                    + "roofline always runs.")
    private List<String> only;

    @Option(names = "--compare", arity = "1..*", paramLabel = "RESULTS",
            description = "Merge results.json files of several machines into one report (one column per machine-backend "
                    + "pair); runs nothing.")
    private List<Path> compare;

    @Option(names = "--from", paramLabel = "RESULTS",
            description = "Re-render the report of one results.json (or a JMH JSON file from bench/run); runs nothing.")
    private Path from;

    @Option(names = "--readme", paramLabel = "FILE",
            description = "Also rewrite the generated excerpt between '" + ReadmeExcerpt.BEGIN + "' and '" + ReadmeExcerpt.END
                    + "' in FILE (e.g. README.md) from this report.")
    private Path readme;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter outWriter = spec.commandLine().getOut();
        String command = "anvil " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
        if (compare != null && from != null) {
            throw new ParameterException(spec.commandLine(), "--compare and --from cannot be used together");
        }
        if ((compare != null || from != null) && (quick || only != null)) {
            throw new ParameterException(spec.commandLine(), "--quick and --only run benchmarks; --compare and --from only read results");
        }
        if (readme != null && compare != null && compare.size() > 1) {
            throw new ParameterException(spec.commandLine(), "--readme takes the excerpt from one machine's report; drop --compare");
        }
        if (readme != null && !Files.isRegularFile(readme)) {
            throw new IllegalArgumentException("--readme: " + readme + " is not a file");
        }
        RunResults single;
        List<RunResults> runs = new ArrayList<>();
        if (compare != null || from != null) {
            for (Path p : compare != null ? compare : List.of(from)) {
                if (!Files.isRegularFile(p)) {
                    throw new IllegalArgumentException((compare != null ? "--compare: " : "--from: ") + p
                            + " is not a file; give results.json files written by 'anvil report'");
                }
                RunResults r = RunResults.load(p);
                runs.add(label != null && runs.isEmpty() && from != null ? r.withLabel(label) : r);
            }
            List<Path> files = ReportGenerator.write(runs, out, command, from != null);
            outWriter.println("anvil: wrote " + files.size() + " files to " + out + " (report.md)");
            single = runs.size() == 1 ? runs.getFirst() : null;
        } else {
            single = runSuite(err, command);
            runs.add(single);
            List<Path> files = ReportGenerator.write(runs, out, command, true);
            int charts = files.size() - 2;
            outWriter.println("anvil: wrote " + files.size() + " files to " + out + " (report.md, results.json, " + charts
                    + (charts == 1 ? " chart" : " charts") + "; JMH's log in jmh.log)");
            headline(outWriter, single);
        }
        if (readme != null) {
            ReadmeExcerpt.update(readme, out, single, command);
            outWriter.println("anvil: updated the report excerpt in " + readme);
        }
        outWriter.flush();
        return 0;
    }

    private RunResults runSuite(PrintWriter err, String command) throws IOException {
        List<BackendStatus> statuses = Backends.statuses();
        List<String> known = new ArrayList<>();
        statuses.forEach(s -> known.add(s.name()));
        known.sort((a, b) -> Integer.compare(rank(a), rank(b)));
        List<String> chosen = new ArrayList<>();
        List<String> raw = new ArrayList<>();
        JsonArray skipped = new JsonArray();
        boolean all = backends.trim().equalsIgnoreCase("all");
        List<String> asked = new ArrayList<>();
        if (all) {
            asked.addAll(known);
        } else {
            for (String n : backends.split(",")) {
                String name = n.trim();
                if (name.isEmpty()) {
                    continue;
                }
                if (!known.contains(name) && !RAW.contains(name)) {
                    throw new IllegalArgumentException("--backends: unknown backend '" + name + "'; known: " + String.join(", ", known)
                            + ", openblas-raw, cuda-raw, or all");
                }
                asked.add(name);
            }
            if (asked.isEmpty()) {
                throw new IllegalArgumentException("--backends: no backend named; give names or 'all'");
            }
        }
        boolean rawNamed = asked.stream().anyMatch(RAW::contains);
        for (String name : new LinkedHashSet<>(asked)) {
            String base = RAW.contains(name) ? name.substring(0, name.length() - "-raw".length()) : name;
            BackendStatus st = statuses.stream().filter(s -> s.name().equals(base)).findFirst().orElse(null);
            if (st == null || !st.available()) {
                JsonObject o = new JsonObject();
                o.addProperty("backend", name);
                o.addProperty("reason", st == null ? "backend " + base + " is not in this build" : st.reason());
                skipped.add(o);
                err.println("anvil: skipping " + name + ": " + o.get("reason").getAsString());
                continue;
            }
            if (RAW.contains(name)) {
                raw.add(name);
            } else {
                chosen.add(name);
                if (!rawNamed && (name.equals("openblas") || name.equals("cuda"))) {
                    raw.add(name + "-raw");
                }
            }
        }
        if (chosen.isEmpty() && raw.isEmpty()) {
            throw new IllegalArgumentException("--backends: none of " + asked + " can run here (see 'anvil info')");
        }
        Suite suite = (smoke ? Suite.smoke() : quick ? Suite.quick() : Suite.full()).withDiscovered();
        if (only != null) {
            suite = restrict(suite, only);
        }
        List<String> jvmArgs = new ArrayList<>();
        String threads = System.getProperty("anvil.threads");
        if (threads != null) {
            jvmArgs.add("-Danvil.threads=" + threads);
        }
        JsonObject machine = InfoCommand.describe();
        Instant start = Instant.now();
        double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        err.println("anvil: running the " + suite.name() + " JMH suite on " + String.join(", ", chosen)
                + (raw.isEmpty() ? "" : " (+ " + String.join(", ", raw) + ")") + "; JMH's log: " + out.resolve("jmh.log"));
        err.flush();
        JsonArray jmh = SuiteRunner.run(suite, chosen, raw, out, err, jvmArgs);
        double wall = (Instant.now().toEpochMilli() - start.toEpochMilli()) / 1e3;
        JsonObject meta = new JsonObject();
        meta.addProperty("created", start.truncatedTo(ChronoUnit.SECONDS).toString());
        meta.addProperty("mode", suite.name());
        meta.addProperty("wallSeconds", wall);
        meta.addProperty("command", command);
        double loadAfter = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        if (loadBefore >= 0 && loadAfter >= 0) {
            meta.addProperty("loadAverage", String.format(Locale.ROOT, "%.1f at the start, %.1f at the end, on %d cores",
                    loadBefore, loadAfter, Runtime.getRuntime().availableProcessors()));
        }
        meta.addProperty("jmhSettings", String.format(Locale.ROOT, "%d x %d ms warm-up, %d x %d ms measured, %d fork(s)",
                suite.warmups(), suite.warmupMillis(), suite.iterations(), suite.iterationMillis(), suite.forks()));
        JsonArray b = new JsonArray();
        chosen.forEach(b::add);
        raw.forEach(b::add);
        meta.add("backends", b);
        String coretype = System.getenv("OPENBLAS_CORETYPE");
        if (coretype != null) {
            meta.addProperty("OPENBLAS_CORETYPE", coretype);
        }
        String name = label != null ? label : RunResults.defaultLabel(machine, out.resolve("results.json"));
        return RunResults.of(name, machine, meta, skipped, jmh, out.resolve("results.json").toString());
    }

    /** reference, cpu-vector, openblas, cuda, then others: the order of the report's columns. */
    private static int rank(String backend) {
        int i = List.of("reference", "cpu-vector", "openblas", "cuda").indexOf(backend);
        return i < 0 ? 99 : i;
    }

    private static Suite restrict(Suite suite, List<String> only) {
        List<Suite.Entry> kept = new ArrayList<>();
        Set<String> matched = new LinkedHashSet<>();
        for (Suite.Entry e : suite.entries()) {
            boolean roof = e.backends() == Suite.Backends.NONE && (e.benchmark().equals("PeakFlopsBench")
                    || e.benchmark().equals("StreamBench"));
            for (String o : only) {
                if (o.trim().equals(e.benchmark()) || o.trim().equals(e.family())) {
                    matched.add(o.trim());
                    roof = true;
                }
            }
            if (roof) {
                kept.add(e);
            }
        }
        for (String o : only) {
            if (!matched.contains(o.trim())) {
                List<String> names = suite.entries().stream().map(Suite.Entry::family).toList();
                throw new IllegalArgumentException("--only: no benchmark '" + o.trim() + "' in the suite; known: " + String.join(", ", names));
            }
        }
        return new Suite(suite.name(), suite.warmups(), suite.warmupMillis(), suite.iterations(), suite.iterationMillis(),
                suite.forks(), kept);
    }

    private static void headline(PrintWriter out, RunResults run) {
        Roofline roof = Roofline.of(run);
        roof.devices().forEach((device, d) -> out.printf(Locale.ROOT,
                "anvil: %s roofline: FMA peak %s GFLOP/s, best seen %s GFLOP/s, STREAM copy %s GB/s, triad %s GB/s%n", device,
                d.fma() == null ? "n/a" : String.format(Locale.ROOT, "%.1f", d.fma().gflops()),
                d.bestCompute() == null ? "n/a" : String.format(Locale.ROOT, "%.1f", d.bestCompute().gflops()),
                d.copy() == null ? "n/a" : String.format(Locale.ROOT, "%.1f", d.copy().value()),
                d.triad() == null ? "n/a" : String.format(Locale.ROOT, "%.1f", d.triad().value())));
    }
}
