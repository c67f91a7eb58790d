package dev.anvil.cli.serve;

import dev.anvil.Backends;
import dev.anvil.spi.Backend;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * The server's Prometheus metrics: requests by model, version and status code; request latency, queue time,
 * compute time and batch size histograms by model; versions loaded; native bytes live per backend.
 */
final class Metrics {
    /** A model's histograms. */
    record ModelMetrics(Histogram latency, Histogram queue, Histogram compute, Histogram batchSize) {
    }

    private record Key(String model, String version, int code) {
    }

    private final ConcurrentHashMap<Key, LongAdder> requests = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, ModelMetrics> models = new ConcurrentHashMap<>();

    ModelMetrics model(String name) {
        return models.computeIfAbsent(name, n -> new ModelMetrics(Histogram.seconds(), Histogram.seconds(), Histogram.seconds(),
                Histogram.sizes()));
    }

    void request(String model, String version, int code, long nanos) {
        requests.computeIfAbsent(new Key(model, version, code), k -> new LongAdder()).increment();
        if (!model.isEmpty()) {
            model(model).latency().observe(nanos);
        }
    }

    /** The exposition text; {@code loaded} gives the versions loaded per model. */
    String render(Supplier<Map<String, Integer>> loaded) {
        StringBuilder out = new StringBuilder(4096);
        out.append("# HELP anvil_serve_requests_total HTTP requests answered, by model, version and status code.\n");
        out.append("# TYPE anvil_serve_requests_total counter\n");
        Map<String, Long> sorted = new TreeMap<>();
        requests.forEach((k, v) -> sorted.put("model=\"" + esc(k.model()) + "\",version=\"" + esc(k.version()) + "\",code=\""
                + k.code() + "\"", v.sum()));
        sorted.forEach((labels, n) -> out.append("anvil_serve_requests_total{").append(labels).append("} ").append(n).append('\n'));
        Map<String, ModelMetrics> byModel = new TreeMap<>(models);
        histograms(out, byModel, "anvil_serve_request_duration_seconds", "Time from request read to response ready.", 0);
        histograms(out, byModel, "anvil_serve_queue_duration_seconds", "Time a request waited for its batch.", 1);
        histograms(out, byModel, "anvil_serve_compute_duration_seconds", "Time of one forward pass (a whole batch).", 2);
        histograms(out, byModel, "anvil_serve_batch_size", "Instances per forward pass.", 3);
        out.append("# HELP anvil_serve_loaded_versions Versions AVAILABLE per model.\n");
        out.append("# TYPE anvil_serve_loaded_versions gauge\n");
        new TreeMap<>(loaded.get()).forEach((m, n) -> out.append("anvil_serve_loaded_versions{model=\"").append(esc(m)).append("\"} ")
                .append(n).append('\n'));
        out.append("# HELP anvil_native_live_bytes Native memory allocated and not freed, per backend.\n");
        out.append("# TYPE anvil_native_live_bytes gauge\n");
        for (Backend b : Backends.available()) {
            out.append("anvil_native_live_bytes{backend=\"").append(esc(b.name())).append("\"} ").append(b.memory().liveBytes())
                    .append('\n');
        }
        return out.toString();
    }

    private static void histograms(StringBuilder out, Map<String, ModelMetrics> models, String name, String help, int which) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(" histogram\n");
        models.forEach((m, mm) -> {
            Histogram h = switch (which) {
                case 0 -> mm.latency();
                case 1 -> mm.queue();
                case 2 -> mm.compute();
                default -> mm.batchSize();
            };
            h.write(out, name, "model=\"" + esc(m) + "\"");
        });
    }

    private static String esc(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
