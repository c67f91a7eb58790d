package dev.anvil.cli.serve;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The model server's HTTP stack with nothing behind it, for {@code anvil bench --op serve}: each request body is
 * read whole and answered with a fixed one-instance prediction of the same size as the real one. What it
 * sustains is the most any handler on this stack can, on this machine: the floor under the server's figures.
 *
 * <pre>{@code
 * try (HttpFloor floor = HttpFloor.start()) {
 *     LoadGenerator.Result r = LoadGenerator.run(floor.port(), "/v1/models/mlp:predict", body, 64, 300, 700);
 * }
 * }</pre>
 */
public final class HttpFloor implements AutoCloseable {
    private static final byte[] ANSWER = ("{\"predictions\": [[-1.234567, 2.345678, -3.456789, 4.567891, -5.678912, 6.789123, "
            + "-7.891234, 8.912345, -9.123456, 0.1234567]]}").getBytes(StandardCharsets.UTF_8);

    private final HttpServer http;
    private final ExecutorService executor;

    private HttpFloor(HttpServer http, ExecutorService executor) {
        this.http = http;
        this.executor = executor;
    }

    /** Starts on a free loopback port. */
    public static HttpFloor start() throws IOException {
        return start(0);
    }

    /** Starts on loopback port {@code port} (0: a free one). */
    public static HttpFloor start(int port) throws IOException {
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        HttpServer http = ModelServer.httpServer("127.0.0.1", port, executor);
        http.createContext("/", ex -> {
            try (InputStream in = ex.getRequestBody()) {
                in.readAllBytes();
            }
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, ANSWER.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(ANSWER);
            }
            ex.close();
        });
        http.start();
        return new HttpFloor(http, executor);
    }

    /**
     * {@code java -cp anvil.jar dev.anvil.cli.serve.HttpFloor PORT}: serves until killed, for {@code bench/serve-load}
     * to measure with wrk beside the real server.
     */
    public static void main(String[] args) throws IOException, InterruptedException {
        if (args.length != 1) {
            System.err.println("usage: HttpFloor PORT");
            System.exit(2);
        }
        try (HttpFloor floor = start(Integer.parseInt(args[0]))) {
            System.err.println("http floor: listening on http://127.0.0.1:" + floor.port());
            Thread.currentThread().join();
        }
    }

    public int port() {
        return http.getAddress().getPort();
    }

    @Override
    public void close() {
        http.stop(0);
        executor.close();
    }
}
