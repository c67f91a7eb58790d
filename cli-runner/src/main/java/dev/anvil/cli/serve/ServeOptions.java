package dev.anvil.cli.serve;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything {@code anvil serve} needs to start: where to listen, the repository, default batching, polling,
 * limits, the management token, and the models (null: every model found in the repository).
 *
 * <p>The {@code --config FILE} format (JSON; every field but {@code name} optional):
 * <pre>{@code
 * {"models": [
 *   {"name": "fashion",
 *    "version_policy": "latest" | "all" | {"latest": 2} | {"specific": [1, 3]},
 *    "labels": {"stable": 1, "canary": 2},
 *    "batching": {"enabled": true, "max_batch_size": 32, "batch_timeout_micros": 1000, "batch_threads": 2, "max_queue": 1024}}
 * ]}
 * }</pre>
 *
 * @param repo the model repository ({@code REPO/<name>/<version>/})
 * @param host address to bind
 * @param port port to bind (0: any free port)
 * @param batching default batching settings
 * @param pollSeconds seconds between repository scans (0: only at start and on {@code :reload})
 * @param maxBodyBytes largest request body (413 above)
 * @param token bearer token of the management routes, or null (refused with 403)
 * @param models the models to serve, or null for every model in the repository
 * @param drainSeconds how long shutdown and unloading wait for requests in flight
 */
public record ServeOptions(Path repo, String host, int port, BatchSettings batching, double pollSeconds, long maxBodyBytes,
        String token, List<ModelConfig> models, int drainSeconds) {
    /** Checks the ranges. */
    public ServeOptions {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be between 0 and 65535, got " + port);
        }
        if (pollSeconds < 0) {
            throw new IllegalArgumentException("--poll-seconds must be 0 (no polling) or positive, got " + pollSeconds);
        }
        if (maxBodyBytes < 64 || maxBodyBytes > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("--max-body-bytes must be between 64 and " + (Integer.MAX_VALUE - 16) + ", got "
                    + maxBodyBytes);
        }
        models = models == null ? null : List.copyOf(models);
    }

    /** The same options with {@code models} from a config file (batching defaults come from these options). */
    public ServeOptions withConfig(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("--config " + file + ": no such file");
        }
        JsonElement root;
        try {
            root = JsonParser.parseString(Files.readString(file));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--config " + file + ": malformed JSON: " + e.getMessage());
        }
        String where = "--config " + file;
        JsonObject o = object(root, where);
        known(o, Set.of("models"), where);
        if (!o.has("models") || !o.get("models").isJsonArray()) {
            throw new IllegalArgumentException(where + ": needs \"models\": [{\"name\": ...}, ...]");
        }
        List<ModelConfig> list = new ArrayList<>();
        int i = 0;
        for (JsonElement e : o.getAsJsonArray("models")) {
            list.add(model(e, where + ": models[" + i++ + "]"));
        }
        if (list.stream().map(ModelConfig::name).distinct().count() != list.size()) {
            throw new IllegalArgumentException(where + ": a model is listed twice");
        }
        return new ServeOptions(repo, host, port, batching, pollSeconds, maxBodyBytes, token, list, drainSeconds);
    }

    private ModelConfig model(JsonElement e, String where) {
        JsonObject m = object(e, where);
        known(m, Set.of("name", "version_policy", "labels", "batching"), where);
        if (!m.has("name") || !m.get("name").isJsonPrimitive()) {
            throw new IllegalArgumentException(where + ": needs \"name\"");
        }
        String name = m.get("name").getAsString();
        VersionPolicy policy = new VersionPolicy.Latest(1);
        try {
            if (m.has("version_policy")) {
                policy = policy(m.get("version_policy"), where + ".version_policy");
            }
            Map<String, Long> labels = new LinkedHashMap<>();
            if (m.has("labels")) {
                for (var l : object(m.get("labels"), where + ".labels").entrySet()) {
                    labels.put(l.getKey(), l.getValue().getAsLong());
                }
            }
            BatchSettings b = batching;
            if (m.has("batching")) {
                JsonObject bo = object(m.get("batching"), where + ".batching");
                known(bo, Set.of("enabled", "max_batch_size", "batch_timeout_micros", "batch_threads", "max_queue"), where + ".batching");
                b = new BatchSettings(bo.has("enabled") ? bo.get("enabled").getAsBoolean() : b.enabled(),
                        bo.has("max_batch_size") ? bo.get("max_batch_size").getAsInt() : b.maxBatch(),
                        bo.has("batch_timeout_micros") ? bo.get("batch_timeout_micros").getAsLong() : b.timeoutMicros(),
                        bo.has("batch_threads") ? bo.get("batch_threads").getAsInt() : b.threads(),
                        bo.has("max_queue") ? bo.get("max_queue").getAsInt() : b.maxQueue());
            }
            return new ModelConfig(name, policy, labels, b);
        } catch (IllegalArgumentException | IllegalStateException | UnsupportedOperationException ex) {
            throw new IllegalArgumentException(where + ": " + ex.getMessage(), ex);
        }
    }

    private static VersionPolicy policy(JsonElement e, String where) {
        if (e.isJsonPrimitive()) {
            return switch (e.getAsString()) {
                case "latest" -> new VersionPolicy.Latest(1);
                case "all" -> new VersionPolicy.All();
                default -> throw new IllegalArgumentException(where + ": \"" + e.getAsString() + "\" is not a policy; use \"latest\", "
                        + "\"all\", {\"latest\": N} or {\"specific\": [versions]}");
            };
        }
        JsonObject o = object(e, where);
        known(o, Set.of("latest", "all", "specific"), where);
        if (o.size() != 1) {
            throw new IllegalArgumentException(where + ": give exactly one of latest, all, specific");
        }
        if (o.has("latest")) {
            return new VersionPolicy.Latest(o.get("latest").getAsInt());
        }
        if (o.has("all")) {
            return new VersionPolicy.All();
        }
        List<Long> v = new ArrayList<>();
        for (JsonElement x : o.getAsJsonArray("specific")) {
            v.add(x.getAsLong());
        }
        return new VersionPolicy.Specific(v);
    }

    private static JsonObject object(JsonElement e, String where) {
        if (!e.isJsonObject()) {
            throw new IllegalArgumentException(where + ": expected a JSON object, found " + e);
        }
        return e.getAsJsonObject();
    }

    private static void known(JsonObject o, Set<String> keys, String where) {
        for (String k : o.keySet()) {
            if (!keys.contains(k)) {
                throw new IllegalArgumentException(where + ": unknown field \"" + k + "\"; known: " + keys);
            }
        }
    }
}
