package dev.anvil.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.anvil.cli.serve.BatchSettings;
import dev.anvil.cli.serve.HttpFloor;
import dev.anvil.cli.serve.LoadGenerator;
import dev.anvil.cli.serve.ModelServer;
import dev.anvil.cli.serve.ServeOptions;
import dev.anvil.nn.Sequential;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code anvil bench --op serve}: the model server under load from an in-process HTTP client. The MLP
 * 784-256-128-10 is saved to a temporary repository and served on a loopback port; for each request size
 * (instances per request), closed-loop clients at concurrency 1, 8 and 64 post {@code :predict} with batching on
 * and off. The ceiling is in-process predict throughput at the same batch size (no HTTP, no JSON); the
 * {@linkplain HttpFloor HTTP floor} rows are the same load against the server's HTTP stack with a handler that
 * only reads the body and answers a fixed prediction, the most any handler on that stack sustains here.
 */
final class ServeBench {
    /** Concurrency levels measured. */
    static final int[] CONNECTIONS = {1, 8, 64};

    /**
     * One measured case.
     *
     * @param instances instances per request
     * @param connections concurrent connections
     * @param batching dynamic batching on
     * @param load what the load generator measured
     * @param ceiling in-process predict instances/s at batch size {@code instances}
     * @param floor the row measures {@link HttpFloor} (the HTTP stack alone), not the model server
     */
    record Row(int instances, int connections, boolean batching, LoadGenerator.Result load, double ceiling, boolean floor) {
        double instancesPerSecond() {
            return load.perSecond() * instances;
        }
    }

    private ServeBench() {
    }

    /** Versions published during the swap run, and the connections loading the server meanwhile. */
    static final int SWAPS = 10;
    static final int SWAP_CONNECTIONS = 32;

    /** Every case, and the swap run (null when it could not run). */
    record Report(List<Row> rows, LoadGenerator.Result swaps) {
    }

    /**
     * Publishes {@link #SWAPS} versions, one after the other becomes AVAILABLE, while {@link #SWAP_CONNECTIONS}
     * connections keep posting; every answer must be a 200.
     */
    private static LoadGenerator.Result swapUnderLoad(Path repo, PrintStream quiet) throws IOException, InterruptedException {
        ServeOptions o = new ServeOptions(repo, "127.0.0.1", 0,
                new BatchSettings(true, 32, 1000, Runtime.getRuntime().availableProcessors(), 4096), 0.02, 16 << 20, null, null, 30);
        dev.anvil.format.ModelRepository r = new dev.anvil.format.ModelRepository(repo);
        Path pkg = repo.resolve("mlp").resolve("1");
        try (ModelServer server = ModelServer.start(o, quiet, null)) {
            java.util.concurrent.atomic.AtomicReference<Exception> failure = new java.util.concurrent.atomic.AtomicReference<>();
            Thread publisher = Thread.ofPlatform().daemon().start(() -> {
                try {
                    Thread.sleep(300);
                    for (int i = 0; i < SWAPS; i++) {
                        long v = r.publish(pkg, "mlp");
                        long end = System.nanoTime() + 30_000_000_000L;
                        while (!server.servesVersion("mlp", v) && System.nanoTime() < end) {
                            Thread.sleep(10);
                        }
                        Thread.sleep(100);
                    }
                } catch (IOException | InterruptedException e) {
                    failure.set(e);
                }
            });
            // measured from the start until the last swap is done
            LoadGenerator.Result during = LoadGenerator.runWhile(server.port(), "/v1/models/mlp:predict", body(1), SWAP_CONNECTIONS,
                    publisher::isAlive);
            if (failure.get() != null) {
                throw new IllegalStateException("publishing a version failed: " + failure.get(), failure.get());
            }
            return during;
        }
    }

    static Report run(List<Integer> sizes, boolean quick, PrintWriter progress) {
        long warm = quick ? 300 : 1000;
        long measure = quick ? 700 : 2000;
        Path repo;
        try {
            repo = Files.createTempDirectory("anvil-serve-bench");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary repository: " + e.getMessage(), e);
        }
        List<Row> rows = new ArrayList<>();
        LoadGenerator.Result swaps = null;
        try {
            JsonArray layers = ModelSpec.layers("mlp", 784, 10);
            Sequential model = ModelSpec.build(layers, 1);
            model.eval();
            JsonObject training = new JsonObject();
            String[] classes = new String[10];
            for (int i = 0; i < 10; i++) {
                classes[i] = "class" + i;
            }
            SavedModel.save(repo.resolve("mlp").resolve("1"), model, layers, new int[] {784}, classes, training);
            PrintStream quiet = new PrintStream(java.io.OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
            for (int size : sizes) {
                byte[] body = body(size);
                List<LoadGenerator.Result> floorRuns = new ArrayList<>();
                try (HttpFloor floor = HttpFloor.start()) {
                    LoadGenerator.run(floor.port(), "/v1/models/mlp:predict", body, 8, 0, 3 * warm);
                    for (int c : CONNECTIONS) {
                        floorRuns.add(LoadGenerator.run(floor.port(), "/v1/models/mlp:predict", body, c, warm, measure));
                    }
                }
                List<LoadGenerator.Result> serverRuns = new ArrayList<>();
                for (boolean batching : new boolean[] {true, false}) {
                    ServeOptions o = new ServeOptions(repo, "127.0.0.1", 0,
                            new BatchSettings(batching, 32, 1000, Runtime.getRuntime().availableProcessors(), 1024), 0, 16 << 20, null, null, 5);
                    try (ModelServer server = ModelServer.start(o, quiet, null)) {
                        // the JIT compiles the whole request path first: unmeasured load at several connections
                        LoadGenerator.run(server.port(), "/v1/models/mlp:predict", body, 8, 0, 3 * warm);
                        for (int c : CONNECTIONS) {
                            serverRuns.add(LoadGenerator.run(server.port(), "/v1/models/mlp:predict", body, c, warm, measure));
                        }
                    }
                }
                // measured last, once the server's passes have had the JIT compile every kernel of the forward pass:
                // measured first, in a JVM that had just started, it read 3-4x slower at batch 1
                double ceiling = ModelBench.mlpInfer(size, quick ? 200_000_000L : 400_000_000L).samplesPerSecond();
                List<Row> sizeRows = new ArrayList<>();
                for (int i = 0; i < CONNECTIONS.length; i++) {
                    sizeRows.add(new Row(size, CONNECTIONS[i], false, floorRuns.get(i), ceiling, true));
                }
                for (int i = 0; i < serverRuns.size(); i++) {
                    sizeRows.add(new Row(size, CONNECTIONS[i % CONNECTIONS.length], i < CONNECTIONS.length, serverRuns.get(i), ceiling, false));
                }
                rows.addAll(sizeRows);
                if (progress != null) {
                    sizeRows.forEach(r -> print(progress, r));
                }
            }
            if (progress != null) {
                progress.println();
                progress.println("version swaps: " + SWAPS + " new versions published while " + SWAP_CONNECTIONS
                        + " connections send 1-instance requests");
            }
            swaps = swapUnderLoad(repo, quiet);
            if (progress != null) {
                progress.printf(Locale.ROOT, "%d swaps, %,d requests, %d failed, %,.0f req/s%n", SWAPS, swaps.requests(), swaps.errors(),
                        swaps.perSecond());
                progress.flush();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("serve bench: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try (var walk = Files.walk(repo)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException e) {
                if (progress != null) {
                    progress.println("anvil: warning: could not delete " + repo + ": " + e.getMessage());
                }
            }
        }
        return new Report(rows, swaps);
    }

    /** A request of {@code n} instances of 784 values in [0, 1), three decimals each (as a 28x28 image's pixels /255). */
    static byte[] body(int n) {
        StringBuilder sb = new StringBuilder("{\"instances\": [");
        java.util.SplittableRandom rng = new java.util.SplittableRandom(5);
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "[" : ", [");
            for (int k = 0; k < 784; k++) {
                sb.append(k == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.3f", rng.nextInt(256) / 255.0));
            }
            sb.append(']');
        }
        return sb.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    static void header(PrintWriter out) {
        out.printf(Locale.ROOT, "%-10s %5s %-8s %10s %12s %9s %9s %7s %13s %8s%n", "INSTANCES", "CONN", "BATCHING", "REQ/S",
                "INSTANCES/S", "P50 US", "P99 US", "ERRORS", "CEILING INST/S", "OF CEIL");
        out.flush();
    }

    static void print(PrintWriter out, Row r) {
        out.printf(Locale.ROOT, "%-10d %5d %-8s %,10.0f %,12.0f %9.1f %9.1f %7d %13s %8s%n", r.instances(), r.connections(),
                r.floor() ? "floor" : r.batching() ? "on" : "off", r.load().perSecond(), r.instancesPerSecond(), r.load().p50Micros(),
                r.load().p99Micros(), r.load().errors(), r.floor() ? "-" : String.format(Locale.ROOT, "%,.0f", r.ceiling()),
                r.floor() ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * r.instancesPerSecond() / r.ceiling()));
        out.flush();
    }

    static JsonArray toJson(Report report) {
        JsonArray a = new JsonArray();
        List<Row> rows = report.rows();
        for (Row r : rows) {
            JsonObject o = new JsonObject();
            o.addProperty("op", r.floor() ? "serve-http-floor" : "serve");
            o.addProperty("instances_per_request", r.instances());
            o.addProperty("connections", r.connections());
            o.addProperty("batching", r.batching());
            o.addProperty("requests_per_second", r.load().perSecond());
            o.addProperty("instances_per_second", r.instancesPerSecond());
            o.addProperty("p50_us", r.load().p50Micros());
            o.addProperty("p99_us", r.load().p99Micros());
            o.addProperty("errors", r.load().errors());
            if (!r.floor()) {
                o.addProperty("ceiling_instances_per_second", r.ceiling());
                o.addProperty("fraction_of_ceiling", r.instancesPerSecond() / r.ceiling());
            }
            a.add(o);
        }
        if (report.swaps() != null) {
            JsonObject o = new JsonObject();
            o.addProperty("op", "serve-swaps");
            o.addProperty("swaps", SWAPS);
            o.addProperty("connections", SWAP_CONNECTIONS);
            o.addProperty("requests", report.swaps().requests());
            o.addProperty("errors", report.swaps().errors());
            o.addProperty("requests_per_second", report.swaps().perSecond());
            a.add(o);
        }
        return a;
    }
}
