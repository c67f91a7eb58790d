package dev.anvil.cli.serve;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.anvil.Backends;
import dev.anvil.format.ModelRepository;
import dev.anvil.spi.Backend;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The model server: a repository's models behind TensorFlow Serving's REST API and the KServe v2 protocol,
 * on the JDK's HTTP server with one virtual thread per request.
 *
 * <pre>{@code
 * ServeOptions o = new ServeOptions(Path.of("models"), "127.0.0.1", 8501,
 *         new BatchSettings(true, 32, 1000, 2, 1024), 2, 16 << 20, null, null, 30);
 * try (ModelServer s = ModelServer.start(o, System.err)) {
 *     // POST http://127.0.0.1:8501/v1/models/fashion:predict {"instances": [...]}
 *     s.awaitClose();
 * }
 * }</pre>
 *
 * <p>{@link #close()} is the graceful shutdown (SIGTERM runs it): readiness turns false, the listener stops
 * accepting, requests in flight are answered (up to {@code drainSeconds}), then every version is unloaded.
 */
public final class ModelServer implements AutoCloseable {
    private final ServeOptions options;
    private final ModelRepository repo;
    private final Backend backend;
    private final Metrics metrics = new Metrics();
    private final Map<String, ServedModel> models = new ConcurrentHashMap<>();
    private final Router router = new Router(this);
    private final PrintStream log;
    private final AccessLog access;
    private final byte[] token;
    private final Runnable beforeForward;
    private final CountDownLatch closedLatch = new CountDownLatch(1);
    private HttpServer http;
    private ExecutorService executor;
    private ScheduledExecutorService poller;
    private volatile boolean started;
    private volatile boolean closing;

    private ModelServer(ServeOptions options, PrintStream log, PrintStream accessLog, Runnable beforeForward) {
        this.options = options;
        this.repo = new ModelRepository(options.repo());
        this.backend = Backends.current();
        this.log = log;
        this.access = accessLog == null ? null : new AccessLog(accessLog);
        this.token = options.token() == null ? null : options.token().getBytes(StandardCharsets.UTF_8);
        this.beforeForward = beforeForward;
    }

    /**
     * Binds, loads and warms up every model, and starts polling; returns once the initial versions are
     * AVAILABLE (or failed). Lifecycle messages go to {@code log}, one line per request to {@code accessLog}
     * (null: none).
     */
    public static ModelServer start(ServeOptions options, PrintStream log, PrintStream accessLog) throws IOException {
        return start(options, log, accessLog, () -> { });
    }

    static ModelServer start(ServeOptions options, PrintStream log, PrintStream accessLog, Runnable beforeForward) throws IOException {
        if (!Files.isDirectory(options.repo())) {
            throw new IllegalArgumentException("--repo " + options.repo() + ": no such folder (publish a model into it with "
                    + "anvil publish, or create REPO/<name>/<version>/)");
        }
        ModelServer s = new ModelServer(options, log, accessLog, beforeForward);
        try {
            s.bind();
            s.scan(false);
            s.started = true;
            if (options.pollSeconds() > 0) {
                long ms = Math.max(10, (long) (options.pollSeconds() * 1000));
                s.poller = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("anvil-poll").unstarted(r));
                s.poller.scheduleWithFixedDelay(() -> s.scan(false), ms, ms, TimeUnit.MILLISECONDS);
            }
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    private void bind() throws IOException {
        executor = Executors.newVirtualThreadPerTaskExecutor();
        http = httpServer(options.host(), options.port(), executor);
        http.createContext("/", this::exchange);
        http.start();
    }

    /**
     * The HTTP stack the server runs on (also measured alone by {@link HttpFloor}): the JDK's server, one virtual
     * thread per exchange, TCP_NODELAY, a deep accept backlog.
     */
    static HttpServer httpServer(String host, int port, ExecutorService executor) throws IOException {
        // Nagle's algorithm with delayed ACKs adds up to 40 ms to small responses; read when the class loads
        System.setProperty("sun.net.httpserver.nodelay", "true");
        HttpServer s = HttpServer.create(new InetSocketAddress(host, port), 4096);
        s.setExecutor(executor);
        return s;
    }

    /** True when version {@code version} of model {@code name} is AVAILABLE. */
    public boolean servesVersion(String name, long version) {
        ServedModel m = models.get(name);
        ServedVersion v = m == null ? null : m.version(version);
        return v != null && v.state() == ServedVersion.State.AVAILABLE;
    }

    /** The port bound (useful with port 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    /** Blocks until {@link #close()} has finished. */
    public void awaitClose() throws InterruptedException {
        closedLatch.await();
    }

    private void exchange(HttpExchange ex) throws IOException {
        long t0 = System.nanoTime();
        String method = ex.getRequestMethod();
        String path = ex.getRequestURI().getRawPath();
        Router.Response resp;
        try (InputStream in = ex.getRequestBody()) {
            byte[] body;
            int length;
            String cl = ex.getRequestHeaders().getFirst("Content-Length");
            long declared = -1;
            if (cl != null) {
                try {
                    declared = Long.parseLong(cl.trim());
                } catch (NumberFormatException e) {
                    declared = Long.MAX_VALUE;
                }
            }
            if (declared > options.maxBodyBytes()) {
                resp = tooLarge(declared);
            } else {
                if (declared >= 0) {
                    body = in.readNBytes((int) declared);
                    length = body.length;
                } else {
                    body = in.readNBytes((int) options.maxBodyBytes() + 1);
                    length = body.length;
                }
                resp = length > options.maxBodyBytes() ? tooLarge(length)
                        : router.handle(new Router.Request(method, path, ex.getRequestHeaders().getFirst("Authorization"), body, length));
            }
        }
        boolean head = method.equals("HEAD");
        ex.getResponseHeaders().set("Content-Type", resp.contentType());
        if (resp.status() == 413) {
            ex.getResponseHeaders().set("Connection", "close"); // the unread body cannot be skipped safely
        }
        ex.sendResponseHeaders(resp.status(), head ? -1 : resp.body().length);
        if (!head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(resp.body());
            }
        }
        ex.close();
        long nanos = System.nanoTime() - t0;
        metrics.request(resp.model(), resp.version(), resp.status(), nanos);
        if (access != null) {
            access.log(ex.getRemoteAddress().getAddress().getHostAddress(), method, path, resp.status(), resp.body().length, nanos);
        }
    }

    private Router.Response tooLarge(long bytes) {
        return Router.Response.json(413, JsonOut.error("the request body (" + bytes + " bytes) is over the limit of "
                + options.maxBodyBytes() + " bytes (--max-body-bytes)"), "", "");
    }

    /** Finds new models (when serving the whole repository) and reconciles every model's versions. */
    private void scan(boolean retryFailed) {
        if (closing) {
            return;
        }
        try {
            for (ModelConfig c : configs()) {
                models.computeIfAbsent(c.name(), n -> new ServedModel(c, repo, backend, metrics, this::log, beforeForward,
                        options.drainSeconds() * 1000L));
            }
            for (ServedModel m : models.values()) {
                if (!closing) {
                    m.reconcile(retryFailed);
                }
            }
        } catch (IOException | RuntimeException e) {
            log("repository scan failed: " + e); // the next poll tries again; what is serving stays
        }
    }

    private List<ModelConfig> configs() throws IOException {
        if (options.models() != null) {
            return options.models();
        }
        List<ModelConfig> found = new ArrayList<>();
        try (Stream<Path> s = Files.list(options.repo())) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String n = p.getFileName().toString();
                if (ModelConfig.NAME.matcher(n).matches() && Files.isDirectory(p)) {
                    found.add(new ModelConfig(n, new VersionPolicy.Latest(1), Map.of(), options.batching()));
                }
            }
        }
        return found;
    }

    ServedModel model(String name) {
        ServedModel m = models.get(name);
        if (m == null) {
            throw HttpError.notFound("no model named '" + name + "' is served (models: " + new TreeMap<>(models).keySet() + ")");
        }
        return m;
    }

    /** {@code :reload}: rescans now, retrying versions that failed before. */
    void reload(ServedModel m) {
        if (closing) {
            throw new HttpError(503, "the server is shutting down");
        }
        if (options.models() == null) {
            scan(true);
        } else {
            m.reconcile(true);
        }
    }

    byte[] token() {
        return token;
    }

    String version() {
        Package p = ModelServer.class.getPackage();
        return p.getImplementationVersion() == null ? "dev" : p.getImplementationVersion();
    }

    /** Null when every model has an AVAILABLE version; otherwise why not. */
    String notReadyReason() {
        if (!started || closing) {
            return closing ? "shutting down" : "loading";
        }
        if (models.isEmpty()) {
            return "no models in " + options.repo();
        }
        List<String> missing = new ArrayList<>();
        for (ServedModel m : models.values()) {
            if (m.available() == 0) {
                missing.add(m.name());
            }
        }
        return missing.isEmpty() ? null : "no AVAILABLE version of " + missing;
    }

    String metricsText() {
        return metrics.render(() -> {
            Map<String, Integer> n = new LinkedHashMap<>();
            models.forEach((k, m) -> n.put(k, m.available()));
            return n;
        });
    }

    void log(String message) {
        log.println("anvil serve: " + message);
        log.flush();
    }

    /** Graceful shutdown: stop accepting, answer requests in flight, unload every version. */
    @Override
    public synchronized void close() {
        if (closing) {
            return;
        }
        closing = true;
        if (started) {
            log("shutting down: no new connections; answering the requests in flight (up to " + options.drainSeconds() + " s)");
        }
        if (poller != null) {
            poller.shutdownNow();
        }
        if (http != null) {
            http.stop(Math.max(1, options.drainSeconds())); // returns as soon as the exchanges in flight are done
        }
        if (executor != null) {
            executor.shutdown();
        }
        for (ServedModel m : models.values()) {
            m.close();
        }
        if (access != null) {
            access.close();
        }
        if (started) {
            log("stopped");
        }
        closedLatch.countDown();
    }
}
