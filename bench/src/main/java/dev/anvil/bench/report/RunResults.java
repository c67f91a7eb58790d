package dev.anvil.bench.report;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.anvil.io.AtomicFiles;
import dev.anvil.bench.Work;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One run of the suite on one machine, as {@code results.json} holds it: JMH's own JSON array verbatim
 * ({@code jmh}), the machine description of {@code anvil info --json} ({@code machine}), the work of each JMH entry
 * ({@code work}, index for index, null when the benchmark declares none), the backends that were skipped and why,
 * and how the run was made. The roofline is derived from the {@code jmh} entries ({@link Roofline}) and written
 * beside them for reading; it is recomputed on load, so it always matches them.
 *
 * <p>A bare JMH JSON file (an array, as {@code bench/run} writes) loads too: its work then comes from the benchmark
 * classes on the classpath, and its machine is unknown.
 *
 * <pre>{@code
 * RunResults run = RunResults.load(Path.of("report/results.json"));
 * run.results().forEach(r -> System.out.println(r.family() + " " + r.seconds()));
 * }</pre>
 *
 * @param label the name of this machine in a comparison
 * @param machine {@code anvil info --json} of the machine that ran it (an empty object when unknown)
 * @param meta how the run was made: {@code created}, {@code mode}, {@code wallSeconds}, {@code backends}, ...
 * @param skipped backends not run, each {@code {"backend", "reason"}}
 * @param jmh JMH's JSON array, unchanged
 * @param results the parsed {@code jmh} entries
 * @param work the work of each result (null where not declared)
 */
public record RunResults(String label, JsonObject machine, JsonObject meta, JsonArray skipped, JsonArray jmh,
        List<JmhResult> results, List<Work> work) {

    /** Format tag written into results.json. */
    public static final String FORMAT = "anvil-report/1";
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeNulls().disableHtmlEscaping()
            .serializeSpecialFloatingPointValues().create();

    /** Builds a run from JMH's JSON array; the work of each entry comes from its benchmark class. */
    public static RunResults of(String label, JsonObject machine, JsonObject meta, JsonArray skipped, JsonArray jmh,
            String where) {
        List<JmhResult> results = new ArrayList<>();
        List<Work> work = new ArrayList<>();
        for (int i = 0; i < jmh.size(); i++) {
            JmhResult r = JmhResult.parse(jmh.get(i), i, where);
            results.add(r);
            work.add(WorkResolver.of(r));
        }
        return new RunResults(label, machine, meta, skipped, jmh, Collections.unmodifiableList(results),
                Collections.unmodifiableList(work));
    }

    /** Reads results.json (or a bare JMH JSON array); errors name the file and the field. */
    public static RunResults load(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IOException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        JsonElement root;
        try {
            root = JsonParser.parseString(text);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": not valid JSON (" + e.getMessage() + ")");
        }
        String where = file.toString();
        if (root.isJsonArray()) {
            JsonObject meta = new JsonObject();
            meta.addProperty("source", "JMH JSON " + file.getFileName());
            return of(defaultLabel(new JsonObject(), file), new JsonObject(), meta, new JsonArray(), root.getAsJsonArray(), where);
        }
        if (!root.isJsonObject() || !root.getAsJsonObject().has("jmh") || !root.getAsJsonObject().get("jmh").isJsonArray()) {
            throw new IllegalArgumentException(file + ": expected results.json of 'anvil report' (an object with a \"jmh\" array)"
                    + " or JMH's JSON (an array)");
        }
        JsonObject o = root.getAsJsonObject();
        JsonObject machine = o.has("machine") && o.get("machine").isJsonObject() ? o.getAsJsonObject("machine") : new JsonObject();
        JsonObject meta = o.has("meta") && o.get("meta").isJsonObject() ? o.getAsJsonObject("meta") : new JsonObject();
        JsonArray skipped = o.has("skipped") && o.get("skipped").isJsonArray() ? o.getAsJsonArray("skipped") : new JsonArray();
        String label = o.has("label") && o.get("label").isJsonPrimitive() ? o.get("label").getAsString()
                : defaultLabel(machine, file);
        JsonArray jmh = o.getAsJsonArray("jmh");
        List<JmhResult> results = new ArrayList<>();
        List<Work> work = new ArrayList<>();
        JsonArray stored = o.has("work") && o.get("work").isJsonArray() ? o.getAsJsonArray("work") : null;
        if (stored != null && stored.size() != jmh.size()) {
            throw new IllegalArgumentException(file + ": \"work\" has " + stored.size() + " entries but \"jmh\" has " + jmh.size()
                    + "; they must match index for index");
        }
        for (int i = 0; i < jmh.size(); i++) {
            JmhResult r = JmhResult.parse(jmh.get(i), i, where);
            results.add(r);
            work.add(stored != null ? work(stored.get(i), file, i) : WorkResolver.of(r));
        }
        return new RunResults(label, machine, meta, skipped, jmh, Collections.unmodifiableList(results),
                Collections.unmodifiableList(work));
    }

    private static Work work(JsonElement e, Path file, int i) {
        if (e == null || e.isJsonNull()) {
            return null;
        }
        try {
            JsonObject o = e.getAsJsonObject();
            return new Work(o.get("flops").getAsDouble(), o.get("bytes").getAsDouble(), o.get("samples").getAsDouble());
        } catch (RuntimeException ex) {
            throw new IllegalArgumentException(file + ": work[" + i + "]: expected {\"flops\", \"bytes\", \"samples\"} numbers ("
                    + ex.getMessage() + ")");
        }
    }

    /**
     * A label for a machine: its CPU and cores, and its GPU when the cuda backend was available; without a machine
     * description, the name of the folder holding {@code file}.
     */
    public static String defaultLabel(JsonObject machine, Path file) {
        if (!machine.has("cpu")) {
            return file.getParent() != null && file.getParent().getFileName() != null
                    ? file.getParent().getFileName().toString() : file.getFileName().toString();
        }
        JsonObject cpu = machine.getAsJsonObject("cpu");
        String label = cpu.get("model").getAsString().replaceAll("\\s+", " ").trim() + " x" + cpu.get("cores").getAsInt();
        if (machine.has("backends")) {
            for (JsonElement b : machine.getAsJsonArray("backends")) {
                JsonObject bo = b.getAsJsonObject();
                if (bo.get("name").getAsString().equals("cuda") && bo.get("available").getAsBoolean() && bo.has("device")
                        && !bo.get("device").isJsonNull()) {
                    label += " + " + bo.get("device").getAsString();
                }
            }
        }
        return label;
    }

    /** The document written as results.json. */
    public JsonObject toJson() {
        JsonObject root = new JsonObject();
        root.addProperty("format", FORMAT);
        root.addProperty("label", label);
        root.add("meta", meta);
        root.add("machine", machine);
        root.add("skipped", skipped);
        root.add("roofline", Roofline.of(this).toJson());
        JsonArray w = new JsonArray();
        for (Work x : work) {
            if (x == null) {
                w.add(JsonNull.INSTANCE);
            } else {
                JsonObject o = new JsonObject();
                o.addProperty("flops", x.flops());
                o.addProperty("bytes", x.bytes());
                o.addProperty("samples", x.samples());
                w.add(o);
            }
        }
        root.add("work", w);
        root.add("jmh", jmh);
        return root;
    }

    /** Writes results.json atomically (a temporary file in the same folder, then a move). */
    public void save(Path file) throws IOException {
        writeAtomically(file, GSON.toJson(toJson()) + "\n");
    }

    /** The same run under another label (a comparison needs labels that differ). */
    public RunResults withLabel(String newLabel) {
        return new RunResults(newLabel, machine, meta, skipped, jmh, results, work);
    }

    static void writeAtomically(Path file, String text) throws IOException {
        writeAtomically(file, text.getBytes(StandardCharsets.UTF_8));
    }

    static void writeAtomically(Path file, byte[] bytes) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        AtomicFiles.replace(file, false, bytes);
    }
}
