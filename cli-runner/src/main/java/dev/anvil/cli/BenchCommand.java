package dev.anvil.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.anvil.BackendStatus;
import dev.anvil.Backends;
import dev.anvil.MemoryScope;
import dev.anvil.Tensor;
import dev.anvil.spi.Backend;
import dev.anvil.spi.ComputePool;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code anvil bench}: a quick in-process benchmark of gemm, add, copy and softmax on one or more backends.
 * Each case allocates its inputs once, warms up, then reports the median time of one call over several
 * timed batches of about 100 ms (see {@link Stopwatch}); every call's output is freed by a memory scope.
 *
 * <p>The reference backend is a scalar oracle: its gemm above {@code --reference-gemm-max} (512) is skipped
 * and reported as such, so the default run stays well under a minute.
 */
@Command(name = "bench", sortOptions = false,
        description = {"Measure gemm, add, copy and softmax (F32) on the selected backend, or on several.",
                "Sizes: gemm n = [n x n] x [n x n]; add and copy: n elements; softmax: " + BenchOp.SOFTMAX_ROWS
                        + " rows of n.",
                "Default sizes: gemm 256,512,1024; add and copy 1048576,16777216; softmax 1024,4096."})
final class BenchCommand implements Callable<Integer> {
    private static final String REFERENCE = "reference";

    @ParentCommand
    private Main main;

    @Spec
    private CommandSpec spec;

    @Option(names = "--op", split = ",", paramLabel = "OP", converter = BenchOp.Converter.class,
            description = "Operations, comma-separated: gemm, add, copy, softmax (the default set), the whole-model "
                    + "cases mlp-train-epoch, cnn-train-epoch, mlp-infer (sizes are batch sizes), serve (the model server under "
                    + "HTTP load; sizes are instances per request), and the model-file cases load, save, save-durable (sizes in "
                    + "bytes of F32 weights; default 400000000; run once, with the first backend's tensors).")
    private List<BenchOp> ops;

    @Option(names = "--sizes", split = ",", paramLabel = "N",
            description = "Sizes for every chosen op, comma-separated. Default: per op (see above).")
    private List<Integer> sizes;

    @Option(names = "--backends", paramLabel = "all|NAME[,NAME...]",
            description = "Backends to measure: 'all' available ones, or names; openblas-raw is cblas_sgemm called "
                    + "directly on the openblas backend's buffers, cuda-raw is cublasSgemm on the cuda backend's. Default: the selected backend.")
    private String backends;

    @Option(names = "--scratch", paramLabel = "DIR", defaultValue = "${sys:java.io.tmpdir}",
            description = "Folder for the file cases' scratch file (deleted afterwards). Default: ${DEFAULT-VALUE}.")
    private java.nio.file.Path scratch;

    @Option(names = "--json", description = "Print {\"results\": [...]} as JSON instead of a table.")
    private boolean json;

    @Option(names = "--quick", description = "Shorter warm-up and batches (~30 ms), 3 measurements: rougher figures.")
    private boolean quick;

    @Option(names = "--repeats", paramLabel = "N",
            description = "Timed batches per case; the median is reported. Default: 5 (3 with --quick).")
    private Integer repeats;

    @Option(names = "--reference-gemm-max", paramLabel = "N", defaultValue = "512",
            description = "Skip reference-backend gemm above this n (scalar loops are slow); 0 runs every size. "
                    + "Default: ${DEFAULT-VALUE}.")
    private int referenceGemmMax;

    /**
     * One measured (or skipped, or failed) case; null figures are not meaningful for the op.
     *
     * @param op the operation
     * @param size its size
     * @param backend the backend it ran on
     * @param gflops floating-point throughput, null for memory-bound ops
     * @param gbps memory throughput, null for gemm
     * @param millis median time of one call
     * @param skipped why the case did not run, or null
     * @param error why the case failed, or null
     */
    record Result(BenchOp op, int size, String backend, Double gflops, Double gbps, Double millis, String skipped,
            String error, ModelBench.Figures model) {
        Result(BenchOp op, int size, String backend, Double gflops, Double gbps, Double millis, String skipped, String error) {
            this(op, size, backend, gflops, gbps, millis, skipped, error, null);
        }
    }

    @Override
    public Integer call() {
        // the default run is the kernel cases; whole-model and file cases are asked for by name
        List<BenchOp> opList = ops == null || ops.isEmpty()
                ? java.util.Arrays.stream(BenchOp.values()).filter(o -> !o.modelCase() && !o.fileCase()).toList()
                : List.copyOf(new LinkedHashSet<>(ops));
        if (sizes != null) {
            for (int s : sizes) {
                if (s < 1) {
                    throw new ParameterException(spec.commandLine(), "--sizes must be positive integers, got " + s);
                }
            }
        }
        if (repeats != null && repeats < 1) {
            throw new ParameterException(spec.commandLine(), "--repeats must be a positive integer, got " + repeats);
        }
        if (referenceGemmMax < 0) {
            throw new ParameterException(spec.commandLine(), "--reference-gemm-max must be 0 or positive, got " + referenceGemmMax);
        }
        List<Target> targets = targets();
        int measurements = repeats != null ? repeats : quick ? 3 : 5;
        Stopwatch stopwatch = quick
                ? new Stopwatch(100_000_000L, 30_000_000L, measurements)
                : new Stopwatch(200_000_000L, 100_000_000L, measurements);

        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Row rows = json ? null : new Row(out);
        if (rows != null) {
            out.printf(Locale.ROOT, "anvil bench: %s; %d compute threads; median of %d timed batches of ~%d ms after warm-up%n",
                    names(targets), ComputePool.threads(), measurements, stopwatch.targetNanos() / 1_000_000);
            out.println("F32. gemm n: [n x n] x [n x n]; add, copy: n elements; softmax: " + BenchOp.SOFTMAX_ROWS
                    + " rows of n. Speed-up is against reference measured in this run.");
            out.println();
            rows.header();
        }
        List<Result> results = new ArrayList<>();
        ServeBench.Report serveReport = null;
        boolean anySkipped = false;
        for (BenchOp op : opList) {
            if (op == BenchOp.SERVE) {
                // its own table: one row per request size, concurrency and batching setting, on the selected backend
                if (rows != null) {
                    out.println();
                    out.println("serve: :predict over loopback HTTP from an in-process client; MLP 784-256-128-10; ceiling = in-process "
                            + "predict at the same batch size; BATCHING 'floor' = the same HTTP stack answering a fixed prediction "
                            + "without parsing or computing (the most any handler gets here)");
                    out.println("forward passes use " + ComputePool.threads() + " compute thread(s) each; anvil serve uses 1 by default"
                            + " (run anvil --threads 1 bench --op serve to match)");
                    ServeBench.header(out);
                }
                try (var _ = Backends.use(targets.get(targets.size() - 1).backend())) {
                    serveReport = ServeBench.run(sizes != null ? sizes : op.defaultSizes(), quick, rows != null ? out : null);
                }
                continue;
            }
            for (int size : sizes != null ? sizes : op.defaultSizes()) {
                Double referenceMillis = null;
                // file cases measure the file system and the format code, not a backend: once is enough
                for (Target b : op.fileCase() ? targets.subList(0, 1) : targets) {
                    Result r = run(op, size, b, stopwatch, err);
                    results.add(r);
                    if (b.name().equals(REFERENCE)) {
                        referenceMillis = r.millis();
                    }
                    anySkipped |= r.skipped() != null;
                    if (rows != null) {
                        rows.print(r, referenceMillis);
                    }
                }
            }
        }
        if (rows != null) {
            if (anySkipped) {
                out.println();
                out.println("Skipped: reference gemm above n = " + referenceGemmMax
                        + " (scalar loops take seconds per call); --reference-gemm-max 0 runs it.");
            }
            if (main.verbose()) {
                out.println();
                for (Target t : targets) {
                    var b = t.backend();
                    var m = b.memory();
                    out.printf(Locale.ROOT, "memory %s: live %s, peak %s, cached %s, %d allocations%n", b.name(),
                            InfoCommand.bytes(m.liveBytes()), InfoCommand.bytes(m.peakBytes()),
                            InfoCommand.bytes(m.cachedBytes()), m.allocations());
                }
            }
        } else {
            JsonObject root = toJson(results);
            if (serveReport != null) {
                root.add("serve", ServeBench.toJson(serveReport));
            }
            out.println(Json.GSON.toJson(root));
        }
        out.flush();
        boolean serveFailed = serveReport != null && (serveReport.rows().stream().anyMatch(r -> r.load().errors() > 0)
                || serveReport.swaps() == null || serveReport.swaps().errors() > 0);
        return results.stream().anyMatch(r -> r.error() != null) || serveFailed ? Main.EXIT_FAILED : 0;
    }

    /** The backends to measure, reference first so that every other row can show its speed-up. */
    private List<Target> targets() {
        Set<String> names = new LinkedHashSet<>();
        if (backends == null) {
            names.add(Backends.defaultBackend().name());
        } else if (backends.trim().equalsIgnoreCase("all")) {
            for (BackendStatus s : Backends.statuses()) {
                if (s.available()) {
                    names.add(s.name());
                }
            }
        } else {
            for (String n : backends.split(",")) {
                if (!n.isBlank()) {
                    names.add(n.trim().toLowerCase(Locale.ROOT));
                }
            }
            if (names.isEmpty()) {
                throw new ParameterException(spec.commandLine(), "--backends needs 'all' or backend names");
            }
        }
        List<Target> list = new ArrayList<>();
        for (String n : names) {
            if (n.endsWith(RAW)) {
                String base = n.substring(0, n.length() - RAW.length());
                list.add(new Target(n, Backends.get(base))); // the library called directly on this backend's buffers
            } else {
                list.add(new Target(n, Backends.get(n))); // unknown or unavailable: IllegalArgumentException (exit 2)
            }
        }
        list.sort((x, y) -> Boolean.compare(!x.name().equals(REFERENCE), !y.name().equals(REFERENCE)));
        return list;
    }

    private static final String RAW = "-raw";

    /** A row label and the backend whose memory it uses; {@code openblas-raw} calls cblas directly. */
    record Target(String name, Backend backend) {
        boolean raw() {
            return name.endsWith(RAW);
        }
    }

    private Result run(BenchOp op, int size, Target target, Stopwatch stopwatch, PrintWriter err) {
        Backend b = target.backend();
        if (target.raw() && !op.hasRaw(target.name())) {
            return new Result(op, size, target.name(), null, null, null, target.name() + " measures gemm only", null);
        }
        if (b.name().equals(REFERENCE) && op == BenchOp.GEMM && referenceGemmMax > 0 && size > referenceGemmMax) {
            return new Result(op, size, b.name(), null, null, null,
                    "reference gemm above n = " + referenceGemmMax + " (--reference-gemm-max)", null);
        }
        if (op.modelCase()) {
            if (target.raw()) {
                return new Result(op, size, target.name(), null, null, null, target.name() + " measures gemm only", null);
            }
            try (var _ = Backends.use(b)) {
                ModelBench.Figures f = op == BenchOp.MLP_INFER
                        ? ModelBench.mlpInfer(size, quick ? 5 * stopwatch.targetNanos() : ModelBench.INFER_WINDOW_NANOS)
                        : ModelBench.trainEpoch(op == BenchOp.CNN_TRAIN_EPOCH, size, quick ? 1 : 3);
                return new Result(op, size, target.name(), null, null, f.millis(), null, null, f);
            } catch (RuntimeException e) {
                return new Result(op, size, target.name(), null, null, null, null,
                        e.getClass().getSimpleName() + ": " + Main.oneLine(e.getMessage()));
            }
        }
        if (op.fileCase()) {
            return runFile(op, size, target, stopwatch);
        }
        long liveBefore = b.memory().liveBytes();
        Result result;
        try (var _ = Backends.use(b); var _ = MemoryScope.open("bench " + op + " " + size + " on " + b.name())) {
            Supplier<Tensor> prepared = target.raw() ? op.prepareRaw(target.name(), size) : op.prepare(size);
            // a GPU backend returns before its kernels finish: wait for them inside the timed call
            Supplier<Tensor> call = b.isHost() ? prepared : () -> {
                Tensor t = prepared.get();
                b.synchronize();
                return t;
            };
            Stopwatch.Timing t = stopwatch.time(call);
            double seconds = t.nanosPerCall() / 1e9;
            Double gflops = Double.isNaN(op.flops(size)) ? null : op.flops(size) / seconds / 1e9;
            Double gbps = Double.isNaN(op.bytes(size)) ? null : op.bytes(size) / seconds / 1e9;
            result = new Result(op, size, target.name(), gflops, gbps, t.nanosPerCall() / 1e6, null, null);
            if (main.verbose()) {
                err.printf(Locale.ROOT, "anvil: %s %d on %s: %d batches x %d calls%n", op, size, b.name(),
                        t.measurements(), t.callsPerMeasurement());
            }
        } catch (RuntimeException e) {
            // One failing case (an op a backend lacks, memory exhausted) is reported; the others still run.
            if (main.verbose()) {
                e.printStackTrace(err);
            }
            result = new Result(op, size, target.name(), null, null, null, null,
                    e.getClass().getSimpleName() + ": " + Main.oneLine(e.getMessage()));
        }
        long liveAfter = b.memory().liveBytes();
        if (liveAfter > liveBefore) {
            err.printf(Locale.ROOT, "anvil: warning: %s %d on %s left %d bytes allocated%n", op, size, b.name(),
                    liveAfter - liveBefore);
        }
        return result;
    }

    private Result runFile(BenchOp op, int size, Target target, Stopwatch stopwatch) {
        FileBench.Case c = null;
        try (var _ = Backends.use(target.backend()); var _ = MemoryScope.open("bench " + op + " " + size)) {
            c = FileBench.prepare(op, size, scratch);
            double nanos = FileBench.nanosPerCall(c, stopwatch.measurements(), stopwatch.targetNanos());
            return new Result(op, size, target.backend().name(), null, op.bytes(size) / (nanos / 1e9) / 1e9, nanos / 1e6,
                    null, null);
        } catch (RuntimeException e) {
            return new Result(op, size, target.backend().name(), null, null, null, null,
                    e.getClass().getSimpleName() + ": " + Main.oneLine(e.getMessage()));
        } finally {
            if (c != null) {
                c.cleanUp().run();
            }
        }
    }

    private static String names(List<Target> targets) {
        List<String> n = new ArrayList<>();
        targets.forEach(b -> n.add(b.name()));
        return (n.size() == 1 ? "backend " : "backends ") + String.join(", ", n);
    }

    private static JsonObject toJson(List<Result> results) {
        JsonArray array = new JsonArray();
        for (Result r : results) {
            JsonObject o = new JsonObject();
            o.addProperty("op", r.op().toString());
            o.addProperty("size", r.size());
            o.addProperty("backend", r.backend());
            o.addProperty("gflops", r.gflops());
            o.addProperty("gbps", r.gbps());
            o.addProperty("millis", r.millis());
            if (r.model() != null) {
                o.addProperty("samples_per_second", r.model().samplesPerSecond());
                if (r.model().p50Micros() != null) {
                    o.addProperty("p50_us", r.model().p50Micros());
                    o.addProperty("p99_us", r.model().p99Micros());
                }
                o.addProperty("data", r.model().data());
            }
            if (r.skipped() != null) {
                o.addProperty("skipped", r.skipped());
            }
            if (r.error() != null) {
                o.addProperty("error", r.error());
            }
            array.add(o);
        }
        JsonObject root = new JsonObject();
        root.add("results", array);
        return root;
    }

    /** The table, printed row by row as cases finish (so a long run shows progress). */
    private static final class Row {
        private static final String FORMAT = "%-12s %-10s %-11s %11s %9s %8s %9s%n";
        private final PrintWriter out;

        Row(PrintWriter out) {
            this.out = out;
        }

        void header() {
            out.printf(Locale.ROOT, FORMAT, "OP", "SIZE", "BACKEND", "MS/CALL", "GFLOP/S", "GB/S", "VS REF");
            out.flush();
        }

        void print(Result r, Double referenceMillis) {
            String label = r.op().sizeLabel(r.size());
            if (r.skipped() != null || r.error() != null) {
                String why = r.skipped() != null ? "skipped: " + r.skipped() : "FAILED: " + r.error();
                out.printf(Locale.ROOT, "%-12s %-10s %-11s %s%n", r.op(), label, r.backend(), why);
            } else {
                String speedup = referenceMillis == null ? "-"
                        : String.format(Locale.ROOT, "%.2fx", referenceMillis / r.millis());
                if (r.model() != null) {
                    ModelBench.Figures f = r.model();
                    out.printf(Locale.ROOT, "%-16s %-10s %-11s %11s ms  %,.0f samples/s%s  (%s)%n", r.op(), label, r.backend(),
                            millis(r.millis()), f.samplesPerSecond(), f.p50Micros() == null ? ""
                                    : String.format(Locale.ROOT, "  p50 %.1f us  p99 %.1f us", f.p50Micros(), f.p99Micros()),
                            f.data());
                } else {
                    out.printf(Locale.ROOT, FORMAT, r.op(), label, r.backend(), millis(r.millis()), number(r.gflops()),
                            number(r.gbps()), speedup);
                }
            }
            out.flush();
        }

        private static String millis(double ms) {
            return String.format(Locale.ROOT, ms < 1 ? "%.4f" : ms < 100 ? "%.3f" : "%.1f", ms);
        }

        private static String number(Double v) {
            return v == null ? "-" : String.format(Locale.ROOT, v < 10 ? "%.3f" : "%.1f", v);
        }
    }
}
