package dev.anvil.cli.serve;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * A closed-loop HTTP/1.1 load generator for {@code anvil bench --op serve}: {@code connections} keep-alive
 * connections, each sending the same POST as soon as its previous answer arrived, for a warm-up and then a
 * measured period. Reports requests per second and latency percentiles; any non-200 answer is counted as an error.
 */
public final class LoadGenerator {
    /**
     * What one run measured.
     *
     * @param requests answered during the measured period
     * @param errors non-200 answers or broken connections
     * @param seconds length of the measured period
     * @param p50Micros median latency
     * @param p99Micros 99th percentile latency
     */
    public record Result(long requests, long errors, double seconds, double p50Micros, double p99Micros) {
        /** Requests answered per second. */
        public double perSecond() {
            return requests / seconds;
        }
    }

    private LoadGenerator() {
    }

    /** Runs {@code connections} clients against {@code http://127.0.0.1:port/path} posting {@code body}. */
    public static Result run(int port, String path, byte[] body, int connections, long warmupMillis, long measureMillis)
            throws InterruptedException {
        long[] end = new long[1];
        return run(port, path, body, connections, warmupMillis, () -> {
            if (end[0] == 0) {
                end[0] = System.nanoTime() + measureMillis * 1_000_000;
            }
            return System.nanoTime() < end[0];
        });
    }

    /** Measures from the start (no warm-up) for as long as {@code whileTrue} holds. */
    public static Result runWhile(int port, String path, byte[] body, int connections, BooleanSupplier whileTrue)
            throws InterruptedException {
        return run(port, path, body, connections, 0, whileTrue);
    }

    private static Result run(int port, String path, byte[] body, int connections, long warmupMillis, BooleanSupplier whileTrue)
            throws InterruptedException {
        byte[] head = ("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        byte[] request = Arrays.copyOf(head, head.length + body.length);
        System.arraycopy(body, 0, request, head.length, body.length);
        AtomicBoolean measuring = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        List<Client> clients = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            Client c = new Client(port, request, measuring, stop);
            clients.add(c);
            threads.add(Thread.ofPlatform().daemon().name("anvil-load-" + i).start(c));
        }
        Thread.sleep(warmupMillis);
        long t0 = System.nanoTime();
        measuring.set(true);
        while (whileTrue.getAsBoolean()) {
            Thread.sleep(5);
        }
        measuring.set(false);
        double seconds = (System.nanoTime() - t0) / 1e9;
        stop.set(true);
        for (Thread t : threads) {
            t.join(5000);
        }
        long n = 0;
        long errors = 0;
        for (Client c : clients) {
            n += c.count;
            errors += c.errors;
        }
        long[] all = new long[(int) Math.min(Integer.MAX_VALUE - 8, n)];
        int at = 0;
        for (Client c : clients) {
            int k = Math.min(c.count, all.length - at);
            System.arraycopy(c.latencies, 0, all, at, k);
            at += k;
        }
        Arrays.sort(all, 0, at);
        double p50 = at == 0 ? Double.NaN : all[at / 2] / 1e3;
        double p99 = at == 0 ? Double.NaN : all[Math.max(0, (int) Math.ceil(at * 0.99) - 1)] / 1e3;
        return new Result(n, errors, seconds, p50, p99);
    }

    /** One connection's loop. */
    private static final class Client implements Runnable {
        private final int port;
        private final byte[] request;
        private final AtomicBoolean measuring;
        private final AtomicBoolean stop;
        long[] latencies = new long[1 << 14];
        int count;
        long errors;

        Client(int port, byte[] request, AtomicBoolean measuring, AtomicBoolean stop) {
            this.port = port;
            this.request = request;
            this.measuring = measuring;
            this.stop = stop;
        }

        @Override
        public void run() {
            while (!stop.get()) {
                try (Socket s = new Socket("127.0.0.1", port)) {
                    s.setTcpNoDelay(true);
                    OutputStream out = s.getOutputStream();
                    InputStream in = new BufferedInputStream(s.getInputStream(), 1 << 16);
                    while (!stop.get()) {
                        long t0 = System.nanoTime();
                        out.write(request);
                        out.flush();
                        int status = readResponse(in);
                        long dt = System.nanoTime() - t0;
                        if (measuring.get()) {
                            if (status != 200) {
                                errors++;
                            }
                            if (count == latencies.length) {
                                latencies = Arrays.copyOf(latencies, count * 2);
                            }
                            latencies[count++] = dt;
                        }
                    }
                } catch (IOException e) {
                    if (measuring.get()) {
                        errors++;
                    }
                }
            }
        }

        /** Reads one response (status line, headers, Content-Length body) and returns its status. */
        private static int readResponse(InputStream in) throws IOException {
            StringBuilder line = new StringBuilder();
            int status = -1;
            long length = 0;
            while (true) {
                line.setLength(0);
                int c;
                while ((c = in.read()) != '\n') {
                    if (c < 0) {
                        throw new IOException("connection closed");
                    }
                    if (c != '\r') {
                        line.append((char) c);
                    }
                }
                if (line.isEmpty()) {
                    break;
                }
                if (status < 0) {
                    status = Integer.parseInt(line.substring(9, 12));
                } else if (line.length() > 15 && line.substring(0, 15).equalsIgnoreCase("content-length:")) {
                    length = Long.parseLong(line.substring(15).trim());
                }
            }
            while (length > 0) {
                long k = in.skip(length);
                if (k <= 0) {
                    if (in.read() < 0) {
                        throw new IOException("connection closed in the body");
                    }
                    k = 1;
                }
                length -= k;
            }
            return status;
        }
    }
}
