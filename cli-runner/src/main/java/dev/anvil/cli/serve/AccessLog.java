package dev.anvil.cli.serve;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

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

    /** A second and its text ({@code 2026-11-28T21:00:00}), reused for every line within it. */
    private record Second(long second, String text) {
    }

    private volatile Second current = new Second(-1, "");

    void log(String client, String method, String path, int status, int bytes, long nanos) {
        long now = System.currentTimeMillis();
        long s = now / 1000;
        Second c = current;
        if (c.second() != s) { // formatting a timestamp costs more than the rest of the line: once a second
            c = new Second(s, DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(LocalDateTime.ofEpochSecond(s, 0, ZoneOffset.UTC)));
            current = c;
        }
        String prefix = c.text();
        long ms = now % 1000;
        long micros = nanos / 1000;
        StringBuilder line = new StringBuilder(96 + path.length()).append(prefix).append('.').append((char) ('0' + ms / 100))
                .append((char) ('0' + ms / 10 % 10)).append((char) ('0' + ms % 10)).append("Z ").append(client).append(" \"")
                .append(method).append(' ').append(path.length() > 200 ? path.substring(0, 200) + "..." : path).append("\" ")
                .append(status).append(' ').append(bytes).append(' ').append(micros / 1000).append('.');
        long frac = micros % 1000;
        line.append(frac < 100 ? "0" : "").append(frac < 10 ? "0" : "").append(frac).append("ms\n");
        synchronized (this) {
            try {
                out.append(line);
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
