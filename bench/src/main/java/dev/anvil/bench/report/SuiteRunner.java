package dev.anvil.bench.report;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.WarmupMode;

/**
 * Runs a {@link Suite} with JMH's {@code Runner}, one JMH run per entry (so each entry gets its own parameters),
 * and returns JMH's JSON results of all of them as one array. JMH's own log goes to {@code jmh.log} in the work
 * folder; one progress line per entry goes to {@code progress}.
 *
 * <pre>{@code
 * JsonArray jmh = SuiteRunner.run(Suite.quick().withDiscovered(), List.of("cpu-vector", "openblas"),
 *         List.of("openblas-raw"), Path.of("report"), new PrintWriter(System.err, true), List.of());
 * }</pre>
 */
public final class SuiteRunner {
    /** The flags every forked JMH JVM needs (see DEPENDENCIES.md). */
    static final List<String> JVM_FLAGS = List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow"); // the last: JMH uses sun.misc.Unsafe, which JDK 24+ warns about

    private SuiteRunner() {
    }

    /**
     * Runs every entry of {@code suite}: {@code backends} fill the {@code backend} parameter of Anvil benchmarks,
     * {@code raw} that of the raw-library ones (an entry with none to run is left out). {@code jvmArgs} are added to
     * each forked JVM. A case that fails is reported on {@code progress} and left out of the results; its stack trace
     * is in {@code workDir/jmh.log}.
     */
    public static JsonArray run(Suite suite, List<String> backends, List<String> raw, Path workDir, PrintWriter progress,
            List<String> jvmArgs) throws IOException {
        // JMH refuses to start while another JMH holds /tmp/jmh.lock (another user's run, or a test in another
        // module): wait-free is better than failing, and the report says the machine may be shared.
        System.setProperty("jmh.ignoreLock", "true");
        Files.createDirectories(workDir);
        Path log = workDir.resolve("jmh.log");
        Files.writeString(log, "");
        List<Suite.Entry> pending = new ArrayList<>();
        for (Suite.Entry e : suite.entries()) {
            if (!(e.backends() == Suite.Backends.ANVIL && e.filter(backends).isEmpty()
                    || e.backends() == Suite.Backends.RAW && e.filter(raw).isEmpty())) {
                pending.add(e);
            }
        }
        JsonArray all = new JsonArray();
        int n = 0;
        for (Suite.Entry e : pending) {
            n++;
            List<String> backendValues = switch (e.backends()) {
                case ANVIL -> e.filter(backends);
                case RAW -> e.filter(raw);
                case NONE -> List.of();
            };
            int expected = Math.max(1, backendValues.size());
            for (List<String> v : e.params().values()) {
                expected *= v.size();
            }
            String what = e.family() + describe(backendValues, e.params());
            progress.printf(Locale.ROOT, "[%d/%d] %s ...%n", n, pending.size(), what);
            progress.flush();
            long start = System.nanoTime();
            JsonArray got = runEntry(suite, e, backendValues, workDir, log, jvmArgs);
            double secs = (System.nanoTime() - start) / 1e9;
            if (got.size() < expected) {
                progress.printf(Locale.ROOT, "      %s: %d of %d cases failed (JMH's messages are in %s)%n", e.family(),
                        expected - got.size(), expected, log);
            }
            progress.printf(Locale.ROOT, "      %d case%s in %.1f s%n", got.size(), got.size() == 1 ? "" : "s", secs);
            progress.flush();
            all.addAll(got);
        }
        return all;
    }

    private static JsonArray runEntry(Suite suite, Suite.Entry e, List<String> backendValues, Path workDir, Path log,
            List<String> jvmArgs) throws IOException {
        Path json = Files.createTempFile(workDir, ".jmh-", ".json");
        Path out = Files.createTempFile(workDir, ".jmh-", ".log");
        try {
            ChainedOptionsBuilder ob = new OptionsBuilder()
                    .include("^" + Pattern.quote(Suite.PACKAGE + "." + e.benchmark()) + "\\." + Pattern.quote(e.method()) + "$")
                    .warmupIterations(suite.warmups())
                    .warmupTime(TimeValue.milliseconds(suite.warmupMillis()))
                    .measurementIterations(suite.iterations())
                    .measurementTime(TimeValue.milliseconds(suite.iterationMillis()))
                    .forks(suite.forks())
                    // In one JVM, warm every case of the entry first: the kernels they share are compiled before any is timed.
                    .warmupMode(suite.forks() == 0 ? WarmupMode.BULK_INDI : WarmupMode.INDI)
                    .shouldFailOnError(false)
                    .resultFormat(ResultFormatType.JSON)
                    .result(json.toString())
                    .output(out.toString());
            List<String> args = new ArrayList<>(JVM_FLAGS);
            args.addAll(jvmArgs);
            ob.jvmArgsAppend(args.toArray(String[]::new));
            if (!backendValues.isEmpty()) {
                ob.param("backend", backendValues.toArray(String[]::new));
            }
            for (Map.Entry<String, List<String>> p : e.params().entrySet()) {
                ob.param(p.getKey(), p.getValue().toArray(String[]::new));
            }
            try {
                new Runner(ob.build()).run();
            } catch (RunnerException ex) {
                throw new IllegalStateException("JMH could not run " + e.family() + ": " + ex.getMessage()
                        + " (is the benchmark in META-INF/BenchmarkList of this jar?)", ex);
            }
            Files.writeString(log, Files.readString(out, StandardCharsets.UTF_8), StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            String text = Files.readString(json, StandardCharsets.UTF_8).trim();
            if (text.isEmpty()) {
                return new JsonArray();
            }
            JsonElement parsed = JsonParser.parseString(text);
            return parsed.isJsonArray() ? parsed.getAsJsonArray() : new JsonArray();
        } finally {
            Files.deleteIfExists(json);
            Files.deleteIfExists(out);
        }
    }

    private static String describe(List<String> backends, Map<String, List<String>> params) {
        List<String> parts = new ArrayList<>();
        if (!backends.isEmpty()) {
            parts.add("backend=" + String.join(",", backends));
        }
        params.forEach((k, v) -> parts.add(k + "=" + String.join(",", v)));
        return parts.isEmpty() ? "" : " (" + String.join(" ", parts) + ")";
    }
}
