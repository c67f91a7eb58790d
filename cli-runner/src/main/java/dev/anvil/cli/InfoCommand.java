package dev.anvil.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.anvil.BackendStatus;
import dev.anvil.Backends;
import dev.anvil.spi.ComputePool;
import dev.anvil.spi.DeviceInfo;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code anvil info}: the machine, every discovered backend with its availability or the reason it cannot
 * run, which backend is selected and why, and providers that failed to load.
 *
 * <p>An explicit choice that cannot be honoured (unknown or unavailable name from {@code --backend},
 * {@code -Danvil.backend} or {@code ANVIL_BACKEND}) still prints the whole report, with no backend
 * selected and the error marked, then exits 2 with the reason on stderr: the report is what a person
 * needs to fix the choice.
 */
@Command(name = "info", sortOptions = false,
        description = {"Show the machine, the discovered backends and which one is selected, and why.",
                "Exits 2 (after the report) when an explicitly chosen backend is unknown or unavailable."})
final class InfoCommand implements Callable<Integer> {

    @ParentCommand
    private Main main;

    @Spec
    private CommandSpec spec;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    private boolean json;

    /** The selection outcome: the backend, or the error that prevented an explicit choice. */
    private record Selection(String selected, String because, String explicit, String error) {
    }

    @Override
    public Integer call() {
        Machine machine = Machine.detect();
        int threads = ComputePool.threads();
        List<BackendStatus> statuses = Backends.statuses();
        List<String> loadErrors = Backends.loadErrors();
        Selection sel = select();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.GSON.toJson(toJson(machine, threads, statuses, loadErrors, sel)));
        } else {
            printTable(out, machine, threads, statuses, loadErrors, sel);
        }
        out.flush();
        if (sel.error() != null) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("anvil: " + Main.oneLine(sel.error()));
            err.flush();
            return Main.EXIT_USAGE;
        }
        return 0;
    }

    /**
     * What {@code anvil info --json} prints, for this process's backend choice: the machine description other
     * commands record with their results ({@code anvil report}).
     */
    static JsonObject describe() {
        String explicit = Backends.explicitChoice();
        Selection sel;
        try {
            sel = new Selection(Backends.defaultBackend().name(), explicit != null ? "explicit choice (" + explicit + ")"
                    : "highest priority available", explicit, null);
        } catch (IllegalArgumentException | IllegalStateException e) {
            sel = new Selection(null, "no backend available", explicit, e.getMessage());
        }
        return toJson(Machine.detect(), ComputePool.threads(), Backends.statuses(), Backends.loadErrors(), sel);
    }

    private Selection select() {
        String source;
        String explicit;
        if (main.backendOption() != null) {
            explicit = main.backendOption();
            source = "--backend " + explicit;
        } else if (!isBlank(System.getProperty("anvil.backend"))) {
            explicit = System.getProperty("anvil.backend").trim();
            source = "-Danvil.backend=" + explicit;
        } else if (!isBlank(System.getenv("ANVIL_BACKEND"))) {
            explicit = System.getenv("ANVIL_BACKEND").trim();
            source = "ANVIL_BACKEND=" + explicit;
        } else {
            explicit = Backends.explicitChoice();
            source = explicit == null ? null : "Backends.select(\"" + explicit + "\") earlier in this process";
        }
        if (main.backendError() != null) {
            return new Selection(null, "explicit choice (" + source + ")", explicit, main.backendError().getMessage());
        }
        try {
            String name = Backends.defaultBackend().name();
            String because = source != null ? "explicit choice (" + source + ")" : "highest priority available";
            return new Selection(name, because, explicit, null);
        } catch (IllegalArgumentException | IllegalStateException e) {
            String because = source != null ? "explicit choice (" + source + ")" : "no backend available";
            return new Selection(null, because, explicit, e.getMessage());
        }
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }

    /** The widest SIMD width an available backend uses, with that backend's name; 0 when none reports one. */
    private static int vectorBits(List<BackendStatus> statuses) {
        int bits = 0;
        for (BackendStatus s : statuses) {
            if (s.available() && s.device() != null) {
                bits = Math.max(bits, s.device().vectorBits());
            }
        }
        return bits;
    }

    private static String vectorBitsSource(List<BackendStatus> statuses, int bits) {
        for (BackendStatus s : statuses) {
            if (bits > 0 && s.available() && s.device() != null && s.device().vectorBits() == bits) {
                return s.name();
            }
        }
        return null;
    }

    private static JsonObject toJson(Machine m, int threads, List<BackendStatus> statuses, List<String> loadErrors,
            Selection sel) {
        JsonObject root = new JsonObject();
        root.addProperty("anvil", VersionProvider.version());
        root.addProperty("java", m.java());
        root.addProperty("javaVendor", m.javaVendor());
        root.addProperty("javaHome", m.javaHome());
        root.addProperty("os", m.os());
        JsonObject cpu = new JsonObject();
        cpu.addProperty("model", m.cpuModel());
        cpu.addProperty("cores", m.cores());
        cpu.addProperty("vectorBits", vectorBits(statuses));
        JsonArray features = new JsonArray();
        m.cpuFeatures().forEach(features::add);
        cpu.add("features", features);
        root.add("cpu", cpu);
        root.addProperty("threads", threads);
        root.addProperty("maxHeapBytes", m.maxHeapBytes());
        JsonArray backends = new JsonArray();
        for (BackendStatus s : statuses) {
            JsonObject b = new JsonObject();
            b.addProperty("name", s.name());
            b.addProperty("available", s.available());
            b.addProperty("priority", s.priority());
            DeviceInfo d = s.device();
            b.addProperty("device", d == null ? null : d.name());
            b.addProperty("reason", s.available() ? null : s.reason());
            b.addProperty("selected", s.name().equals(sel.selected()));
            if (d != null) {
                b.addProperty("cores", d.cores());
                b.addProperty("memoryBytes", d.memoryBytes());
                b.addProperty("vectorBits", d.vectorBits());
                b.addProperty("peakGflops", d.peakGflops());
                b.addProperty("details", d.details());
            }
            backends.add(b);
        }
        root.add("backends", backends);
        root.add("selected", sel.selected() == null ? JsonNull.INSTANCE : new JsonPrimitive(sel.selected()));
        root.addProperty("selectedBecause", sel.because());
        root.addProperty("explicitChoice", sel.explicit());
        if (sel.error() != null) {
            root.addProperty("error", sel.error());
        }
        JsonArray errors = new JsonArray();
        loadErrors.forEach(errors::add);
        root.add("loadErrors", errors);
        return root;
    }

    private static void printTable(PrintWriter out, Machine m, int threads, List<BackendStatus> statuses,
            List<String> loadErrors, Selection sel) {
        out.println("Anvil " + VersionProvider.version());
        out.println();
        out.println("Machine");
        Table machine = new Table("", "");
        machine.add("Java", m.java() + " (" + m.javaVendor() + ", " + m.javaHome() + ")");
        machine.add("OS", m.os());
        machine.add("CPU", m.cpuModel());
        machine.add("Cores", m.cores() + " (compute threads: " + threads + ")");
        int bits = vectorBits(statuses);
        String src = vectorBitsSource(statuses, bits);
        machine.add("SIMD width", bits + " bits" + (src == null ? " (no available backend uses SIMD)" : " (" + src + ")"));
        machine.add("CPU features", m.cpuFeatures().isEmpty() ? "unknown" : String.join(" ", m.cpuFeatures()));
        machine.add("Max heap", bytes(m.maxHeapBytes()));
        machine.printRows(out, "  ");
        out.println();
        out.println("Backends (highest priority first; * = selected)");
        Table backends = new Table("", "NAME", ">PRIORITY", "AVAILABLE", "DEVICE / REASON");
        for (BackendStatus s : statuses) {
            String what;
            if (s.available()) {
                DeviceInfo d = s.device();
                what = d == null ? "" : d.name() + peak(d);
            } else {
                what = s.reason();
            }
            backends.add(s.name().equals(sel.selected()) ? "*" : "", s.name(), Integer.toString(s.priority()),
                    s.available() ? "yes" : "no", what);
        }
        backends.print(out, " ");
        out.println();
        if (sel.selected() != null) {
            out.println("Selected: " + sel.selected() + ", because: " + sel.because());
        } else {
            out.println("Selected: none, " + sel.because() + " failed");
            out.println("  ERROR: " + Main.oneLine(sel.error()));
        }
        if (loadErrors.isEmpty()) {
            out.println("Load errors: none");
        } else {
            out.println("Load errors (providers that could not be loaded):");
            for (String e : loadErrors) {
                out.println("  " + e);
            }
        }
    }

    private static String peak(DeviceInfo d) {
        return d.peakGflops() > 0 ? String.format(Locale.ROOT, ", peak ~%.0f GFLOP/s", d.peakGflops()) : "";
    }

    static String bytes(long n) {
        if (n >= 1L << 30) {
            return String.format(Locale.ROOT, "%.1f GiB", n / (double) (1L << 30));
        }
        return String.format(Locale.ROOT, "%.0f MiB", n / (double) (1L << 20));
    }
}
