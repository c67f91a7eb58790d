package dev.anvil.cli;

import dev.anvil.Backends;
import dev.anvil.cli.serve.BatchSettings;
import dev.anvil.cli.serve.ModelServer;
import dev.anvil.cli.serve.ServeOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code anvil serve}: serves a model repository over TensorFlow Serving's REST API (and KServe v2) until
 * SIGTERM or Ctrl-C, which drain the requests in flight before the process exits. Unless {@code --threads} (or
 * {@code anvil.threads} / {@code ANVIL_THREADS}) says otherwise, each forward pass runs on one compute thread and
 * the server runs one pass per core at once ({@code --batch-threads}): small batches parallelise better across
 * requests than inside a GEMM.
 */
@Command(name = "serve", sortOptions = false,
        description = {"Serve the models of a repository (REPO/<name>/<version>/) over TensorFlow Serving's REST API and KServe v2.",
                "Routes: /v1/models/{name}[/versions/{v}|/labels/{l}][/metadata|:predict|:classify], PUT .../labels/{l},",
                "POST /v1/models/{name}:reload, /v2/models/{name}[/versions/{v}]/infer, /healthz, /readyz, /metrics."})
final class ServeCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--repo", required = true, paramLabel = "DIR", description = "The model repository.")
    Path repo;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind. Default: ${DEFAULT-VALUE} (this machine only).")
    String host;

    @Option(names = "--port", defaultValue = "8501", description = "Port (0: any free port). Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--max-batch-size", defaultValue = "32", paramLabel = "N", description = "Most instances per forward pass. Default: ${DEFAULT-VALUE}.")
    int maxBatchSize;

    @Option(names = "--batch-timeout-micros", defaultValue = "1000", paramLabel = "US",
            description = "Longest wait of a batch for more requests (only while more are arriving). Default: ${DEFAULT-VALUE}.")
    long batchTimeoutMicros;

    @Option(names = "--batch-threads", paramLabel = "N",
            description = "Forward passes per version at once (batch threads). Default: the number of cores.")
    Integer batchThreads;

    @Option(names = "--max-queue", defaultValue = "1024", paramLabel = "N",
            description = "Requests waiting per version beyond which the server answers 429. Default: ${DEFAULT-VALUE}.")
    int maxQueue;

    @Option(names = "--batching", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Dynamic batching (--no-batching: each request runs its own forward pass). Default: on.")
    boolean batching;

    @Option(names = "--poll-seconds", defaultValue = "2", paramLabel = "S",
            description = "Seconds between repository scans for new versions (0: only at start and on :reload). Default: ${DEFAULT-VALUE}.")
    double pollSeconds;

    @Option(names = "--max-body-bytes", defaultValue = "16777216", paramLabel = "N", description = "Largest request body (413 above). Default: ${DEFAULT-VALUE}.")
    long maxBodyBytes;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "File holding the bearer token of the management routes (label moves, :reload); without it they answer 403.")
    Path tokenFile;

    @Option(names = "--config", paramLabel = "FILE",
            description = "JSON: the models to serve with version policy, labels and batching (see README); default: every model in REPO.")
    Path config;

    @Option(names = "--drain-seconds", defaultValue = "30", paramLabel = "S",
            description = "How long shutdown and unloading wait for requests in flight. Default: ${DEFAULT-VALUE}.")
    int drainSeconds;

    @Option(names = "--no-access-log", description = "Do not print a line per request on stdout.")
    boolean noAccessLog;

    @Override
    public Integer call() throws IOException, InterruptedException {
        String token = null;
        if (tokenFile != null) {
            if (!Files.isRegularFile(tokenFile)) {
                throw new IllegalArgumentException("--token-file " + tokenFile + ": no such file");
            }
            token = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
            if (token.isEmpty() || token.contains("\n")) {
                throw new IllegalArgumentException("--token-file " + tokenFile + ": must hold one non-empty line (the token)");
            }
        }
        if (drainSeconds < 0) {
            throw new IllegalArgumentException("--drain-seconds must be 0 or positive, got " + drainSeconds);
        }
        // passes of small batches parallelise better across requests than inside one GEMM: one per core by default
        int threads = batchThreads != null ? batchThreads : Runtime.getRuntime().availableProcessors();
        ServeOptions options = new ServeOptions(repo, host, port,
                new BatchSettings(batching, maxBatchSize, batchTimeoutMicros, threads, maxQueue), pollSeconds, maxBodyBytes, token, null,
                drainSeconds);
        if (config != null) {
            options = options.withConfig(config);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintStream stdout = System.out;
        ModelServer server = ModelServer.start(options, System.err, noAccessLog ? null : stdout);
        Thread hook = new Thread(server::close, "anvil-serve-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        System.err.printf("anvil serve: listening on http://%s:%d (repository %s, backend %s, batching %s)%n", host, server.port(),
                repo, Backends.current().name(), batching ? "on, up to " + maxBatchSize + " instances" : "off");
        System.err.flush();
        out.flush();
        server.awaitClose();
        return 0;
    }
}
