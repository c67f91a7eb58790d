package dev.anvil.cli.serve;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Locale;

/**
 * One line per request: time, client, method and path, status, response bytes and latency. Lines go to a
 * buffer flushed every 100 ms (and at close), so logging costs no system call per request.
 */
final class AccessLog implements AutoCloseable {
    private final BufferedWriter out;
    private final Thread flusher;
    private volatile boolean closed;

    AccessLog(OutputStream stream) {
        out = new BufferedWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8), 1 << 16);
        flusher = Thread.ofPlatform().daemon().name("anvil-access-log").start(() -> {
            while (!closed) {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
                flush();
            }
        });
    }

    void log(String client, String method, String path, int status, int bytes, long nanos) {
        String line = String.format(Locale.ROOT, "%s %s \"%s %s\" %d %d %.3fms%n", Instant.now(), client, method,
                path.length() > 200 ? path.substring(0, 200) + "..." : path, status, bytes, nanos / 1e6);
        synchronized (this) {
            try {
                out.write(line);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the access log: " + e.getMessage(), e);
            }
        }
    }

    synchronized void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            // stdout closed (the terminal went away): nothing sensible to report it to
            closed = true;
        }
    }

    @Override
    public void close() {
        closed = true;
        flusher.interrupt();
        flush();
    }
}
