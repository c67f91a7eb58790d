package dev.anvil.cli.serve;

import dev.anvil.Backends;
import dev.anvil.cli.SavedModel;
import dev.anvil.cli.WarmUp;
import dev.anvil.format.ModelRepository;
import dev.anvil.spi.Backend;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Consumer;

/**
 * One model of the repository as served: its versions (with their states), its labels, and the reconciliation
 * that brings the loaded versions in line with the version policy and the folders on disk. A new version is
 * loaded and warmed up before it takes traffic; the versions it replaces are unloaded only after it is
 * AVAILABLE and after their requests in flight are answered; a version that fails to load is remembered (its
 * error shows in the status) and skipped until the next {@code :reload}, so the previous one keeps serving.
 * Versions a label points at stay loaded whatever the policy says, so a label can roll back to them. Labels
 * moved through the management API are saved in {@code REPO/<model>/labels.json} ({@link LabelStore}) and
 * come back after a restart, ahead of the config's.
 *
 * <p>Reconciliation runs on one thread at a time (this object's lock); request routing never takes that lock.
 */
final class ServedModel {
    /** Ended versions kept in the status after they were unloaded. */
    private static final int KEEP_ENDED = 8;

    final ModelConfig config;
    private final ModelRepository repo;
    private final Backend backend;
    private final Metrics.ModelMetrics metrics;
    private final Consumer<String> log;
    private final Runnable beforeForward;
    private final long drainMillis;
    private final ConcurrentSkipListMap<Long, ServedVersion> versions = new ConcurrentSkipListMap<>();
    private final Map<String, Long> labels = new ConcurrentHashMap<>();
    private final Set<String> configLabelsApplied = new HashSet<>();
    /** The labels to apply once their versions are AVAILABLE: the config's, overridden by those moved by hand before. */
    private final Map<String, Long> startLabels;
    private final Path labelFile;
    private volatile ServedVersion latest;

    ServedModel(ModelConfig config, ModelRepository repo, Backend backend, Metrics metrics, Consumer<String> log,
            Runnable beforeForward, long drainMillis) {
        this.config = config;
        this.repo = repo;
        this.backend = backend;
        this.metrics = metrics.model(config.name());
        this.log = log;
        this.beforeForward = beforeForward;
        this.drainMillis = drainMillis;
        this.labelFile = repo.root().resolve(config.name()).resolve(LabelStore.FILE);
        Map<String, Long> start = new java.util.LinkedHashMap<>(config.labels());
        try {
            Map<String, Long> moved = LabelStore.read(labelFile);
            if (!moved.isEmpty()) {
                log.accept("model " + config.name() + ": labels moved by hand before, from " + labelFile + ": " + new java.util.TreeMap<>(moved));
            }
            start.putAll(moved); // a label moved by hand is not reset by the config, across restarts too
        } catch (IOException e) {
            log.accept("model " + config.name() + ": ignoring the labels moved by hand before: " + e.getMessage());
        }
        this.startLabels = Map.copyOf(start);
    }

    String name() {
        return config.name();
    }

    /** Every version known, ascending (failed and ended ones included, as TensorFlow Serving lists them). */
    List<ServedVersion> versions() {
        return new ArrayList<>(versions.values());
    }

    ServedVersion version(long v) {
        return versions.get(v);
    }

    Map<String, Long> labels() {
        return Map.copyOf(labels);
    }

    int available() {
        return (int) versions.values().stream().filter(v -> v.state() == ServedVersion.State.AVAILABLE).count();
    }

    /**
     * The version a request names (the latest AVAILABLE when it names none), counted in with {@link ServedVersion#acquire()};
     * the caller releases it. A version replaced between lookup and acquire is looked up again.
     */
    ServedVersion acquire(Long version, String label) {
        for (int attempt = 0; attempt < 100; attempt++) {
            ServedVersion v;
            if (label != null) {
                Long target = labels.get(label);
                if (target == null) {
                    throw HttpError.notFound("model " + name() + " has no label '" + label + "' (labels: " + new TreeSet<>(labels.keySet()) + ")");
                }
                v = versions.get(target);
                if (v == null || v.state() != ServedVersion.State.AVAILABLE) {
                    throw HttpError.notFound("label '" + label + "' of model " + name() + " points at version " + target
                            + ", which is not AVAILABLE");
                }
            } else if (version != null) {
                v = versions.get(version);
                if (v == null || v.state() != ServedVersion.State.AVAILABLE) {
                    throw HttpError.notFound("version " + version + " of model " + name() + " is not "
                            + (v == null ? "known" : "AVAILABLE (" + v.state() + (v.failed() ? ": " + v.error() : "") + ")"));
                }
            } else {
                v = latest;
                if (v == null) {
                    throw new HttpError(503, "model " + name() + " has no AVAILABLE version yet");
                }
            }
            if (v.acquire()) {
                return v;
            }
            Thread.yield(); // unloading meanwhile: its successor is already routed to
        }
        throw new HttpError(503, "model " + name() + " is changing versions; retry");
    }

    /** Moves {@code label} to {@code version}, which must be AVAILABLE. */
    synchronized void label(String label, long version) {
        ServedVersion v = versions.get(version);
        if (v == null || v.state() != ServedVersion.State.AVAILABLE) {
            throw HttpError.badRequest("cannot point label '" + label + "' at version " + version + " of model " + name()
                    + ": a label can only point at an AVAILABLE version (that one is "
                    + (v == null ? "not loaded" : v.state().toString()) + ")");
        }
        Long old = labels.put(label, version);
        configLabelsApplied.add(label); // a label moved by hand is not reset by the config
        String kept;
        try {
            LabelStore.write(labelFile, labels);
            kept = "; saved in " + labelFile;
        } catch (IOException e) {
            kept = "; NOT saved (" + e + "): after a restart the label is back where the config puts it";
        }
        log.accept("model " + name() + ": label " + label + " -> version " + version + (old == null ? "" : " (was " + old + ")") + kept);
    }

    /**
     * Scans the model's folder and loads, keeps or unloads versions to match the policy. {@code retryFailed}
     * forgets earlier load failures (the {@code :reload} route).
     */
    synchronized void reconcile(boolean retryFailed) {
        List<Long> onDisk;
        try {
            onDisk = repo.versions(name());
        } catch (IOException e) {
            log.accept("model " + name() + ": cannot list its versions: " + e.getMessage());
            return;
        }
        List<Long> candidates = new ArrayList<>();
        for (long v : onDisk) {
            ServedVersion sv = versions.get(v);
            if (sv == null || !sv.failed() || retryFailed) {
                candidates.add(v);
            }
        }
        List<Long> wanted = config.policy().select(candidates);
        List<Long> toLoad = new ArrayList<>(wanted);
        for (var e : startLabels.entrySet()) {
            // a version named by a configured label is loaded even when the policy would not, so the label can point at it
            if (!configLabelsApplied.contains(e.getKey()) && candidates.contains(e.getValue()) && !toLoad.contains(e.getValue())) {
                toLoad.add(e.getValue());
            }
        }
        for (long v : toLoad) {
            ServedVersion sv = versions.get(v);
            if (sv == null || sv.state() == ServedVersion.State.END) {
                load(v);
            }
        }
        applyConfigLabels();
        Set<Long> keep = new HashSet<>(wanted);
        keep.addAll(labels.values());
        boolean wantedServing = wanted.stream().anyMatch(v -> versions.get(v) != null
                && versions.get(v).state() == ServedVersion.State.AVAILABLE);
        List<ServedVersion> toUnload = new ArrayList<>();
        for (ServedVersion sv : versions.values()) {
            if (sv.state() == ServedVersion.State.AVAILABLE && !keep.contains(sv.version) && wantedServing) {
                toUnload.add(sv);
            }
        }
        // route new requests away from the versions going first, then refuse them, then wait for their requests in flight
        updateLatest(toUnload);
        for (ServedVersion sv : toUnload) {
            sv.state(ServedVersion.State.UNLOADING);
        }
        for (ServedVersion sv : toUnload) {
            sv.unload(drainMillis);
            log.accept("model " + name() + ": version " + sv.version + " unloaded");
        }
        trimEnded(onDisk);
    }

    /**
     * Passes at batch 1 and at the largest batch until they stop getting faster (at most 2 s): the JIT compiles the
     * kernels before the version takes traffic. One pass is not enough: until C2 compiles it, the int8 kernel runs
     * about 1000x slower.
     */
    private static void warmUp(Batcher b, int features, int maxBatch) {
        float[] one = new float[features];
        float[] many = new float[features * maxBatch];
        WarmUp.untilSteady(() -> {
            for (int i = 0; i < 16; i++) {
                b.forward(one, 1);
            }
            b.forward(many, maxBatch);
        }, 0, 2_000_000_000L, 0);
    }

    private void load(long v) {
        ServedVersion sv = new ServedVersion(v);
        sv.state(ServedVersion.State.LOADING);
        versions.put(v, sv);
        Path dir = repo.path(name(), v);
        long t0 = System.nanoTime();
        try (var use = Backends.use(backend)) {
            SavedModel.Loaded loaded = SavedModel.load(dir);
            Signature sig = Signature.of(loaded);
            Batcher b = new Batcher(name() + "-" + v, loaded.model(), sig, backend, config.batching(), metrics, beforeForward);
            warmUp(b, sig.featureSize(), config.batching().maxBatch());
            sv.loaded(sig, b);
            sv.state(ServedVersion.State.AVAILABLE);
            log.accept(String.format(java.util.Locale.ROOT, "model %s: version %d AVAILABLE (loaded and warmed up in %.0f ms from %s)",
                    name(), v, (System.nanoTime() - t0) / 1e6, dir));
        } catch (RuntimeException | LinkageError e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage().strip().replaceAll("\\s*\\R\\s*", " ");
            sv.failed(msg);
            log.accept("model " + name() + ": version " + v + " failed to load; the versions already serving stay: " + msg);
        }
        updateLatest();
    }

    private void applyConfigLabels() {
        for (var e : startLabels.entrySet()) {
            ServedVersion sv = versions.get(e.getValue());
            if (!configLabelsApplied.contains(e.getKey()) && sv != null && sv.state() == ServedVersion.State.AVAILABLE) {
                labels.put(e.getKey(), e.getValue());
                configLabelsApplied.add(e.getKey());
            }
        }
    }

    private void updateLatest() {
        updateLatest(List.of());
    }

    private void updateLatest(List<ServedVersion> leaving) {
        ServedVersion best = null;
        for (ServedVersion sv : versions.values()) {
            if (sv.state() == ServedVersion.State.AVAILABLE && !leaving.contains(sv)) {
                best = sv; // ascending: the last AVAILABLE is the highest
            }
        }
        latest = best;
    }

    /** Forgets ended versions beyond the newest few, and failed ones whose folder is gone. */
    private void trimEnded(List<Long> onDisk) {
        List<Long> ended = new ArrayList<>();
        for (ServedVersion sv : versions.values()) {
            if (sv.state() == ServedVersion.State.END && (!sv.failed() || !onDisk.contains(sv.version))) {
                ended.add(sv.version);
            }
        }
        for (int i = 0; i < ended.size() - KEEP_ENDED; i++) {
            versions.remove(ended.get(i));
        }
    }

    /** Unloads every version (shutdown). */
    synchronized void close() {
        for (ServedVersion sv : versions.values()) {
            if (sv.state() == ServedVersion.State.AVAILABLE) {
                sv.state(ServedVersion.State.UNLOADING);
            }
        }
        latest = null;
        for (ServedVersion sv : versions.values()) {
            if (sv.state() == ServedVersion.State.UNLOADING) {
                sv.unload(drainMillis);
            }
        }
    }
}
