package dev.anvil;

import dev.anvil.spi.Availability;
import dev.anvil.spi.Backend;
import dev.anvil.spi.BackendProvider;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * Discovers backends with {@link ServiceLoader}, explains which can run here, and selects one.
 *
 * <p>Selection: an explicit choice wins ({@link #select(String)}, which {@code anvil --backend} calls;
 * else the system property {@code anvil.backend}; else the environment variable {@code ANVIL_BACKEND}),
 * and an explicit choice that is unavailable is an error carrying the backend's reason, never a silent
 * fallback. Otherwise the available backend with the highest priority is used.
 *
 * <pre>{@code
 * for (BackendStatus s : Backends.statuses()) System.out.println(s.name() + ": " + s.available());
 * Backend b = Backends.current();               // e.g. cpu-vector
 * try (var using = Backends.use("reference")) {  // this thread, this block
 *     Tensor t = Tensor.ones(2, 3);               // allocated on reference
 * }
 * }</pre>
 *
 * <p>The registry is static state, initialised once on first use (one of the two pieces the style guide
 * allows): a process has one set of backends.
 */
public final class Backends {
    /** Discovered providers with their probe answers, highest priority first. */
    private static final class Registry {
        static final Registry INSTANCE = new Registry();
        final Map<String, BackendProvider> providers = new LinkedHashMap<>();
        final Map<String, BackendStatus> statuses = new LinkedHashMap<>();
        final Map<String, Backend> created = new LinkedHashMap<>();
        final List<String> loadErrors = new ArrayList<>();

        Registry() {
            List<BackendProvider> found = new ArrayList<>();
            Iterator<BackendProvider> it = ServiceLoader.load(BackendProvider.class).iterator();
            while (true) {
                try {
                    if (!it.hasNext()) {
                        break;
                    }
                    found.add(it.next());
                } catch (ServiceConfigurationError | LinkageError e) {
                    // A provider whose class cannot even be instantiated (e.g. missing jdk.incubator.vector)
                    loadErrors.add(describe(e));
                }
            }
            List<BackendStatus> list = new ArrayList<>();
            for (BackendProvider p : found) {
                String name;
                int priority;
                try {
                    name = p.name();
                    priority = p.priority();
                } catch (RuntimeException | LinkageError e) {
                    loadErrors.add(describe(e));
                    continue;
                }
                Availability a;
                try {
                    a = p.probe();
                    if (a == null) {
                        a = Availability.unavailable("probe() returned null");
                    }
                } catch (RuntimeException | LinkageError e) {
                    a = Availability.unavailable("probe failed: " + describe(e));
                }
                providers.put(name, p);
                list.add(new BackendStatus(name, priority, a.available(), a.reason(), a.device()));
            }
            list.sort(Comparator.comparingInt(BackendStatus::priority).reversed());
            for (BackendStatus s : list) {
                statuses.put(s.name(), s);
            }
        }

        static String describe(Throwable e) {
            String m = e.getMessage();
            String text = e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
            if (e instanceof NoClassDefFoundError && m != null && m.contains("jdk/incubator/vector")) {
                text += " (start the JVM with --add-modules jdk.incubator.vector)";
            }
            return text;
        }

        synchronized Backend instance(String name) {
            Backend b = created.get(name);
            if (b == null) {
                BackendStatus s = statuses.get(name);
                if (s == null) {
                    throw new IllegalArgumentException("unknown backend '" + name + "'; known backends: "
                            + String.join(", ", statuses.keySet()));
                }
                if (!s.available()) {
                    throw new IllegalArgumentException("backend '" + name + "' is not available: " + s.reason());
                }
                try {
                    b = providers.get(name).create();
                } catch (RuntimeException | LinkageError e) {
                    throw new IllegalStateException("backend '" + name + "' failed to start: " + describe(e), e);
                }
                created.put(name, b);
            }
            return b;
        }
    }

    private static volatile String explicitChoice;
    private static volatile Backend defaultBackend;
    private static final ThreadLocal<Backend> OVERRIDE = new ThreadLocal<>();

    private Backends() {
    }

    /** Every discovered backend, highest priority first, with availability and reasons. */
    public static List<BackendStatus> statuses() {
        return List.copyOf(Registry.INSTANCE.statuses.values());
    }

    /** Providers that could not even be loaded (listed by {@code anvil info}). */
    public static List<String> loadErrors() {
        return List.copyOf(Registry.INSTANCE.loadErrors);
    }

    /** The backend named {@code name}; fails with the reason when it is unknown or unavailable. */
    public static Backend get(String name) {
        return Registry.INSTANCE.instance(name.toLowerCase(Locale.ROOT).trim());
    }

    /** All available backends, highest priority first. */
    public static List<Backend> available() {
        List<Backend> list = new ArrayList<>();
        for (BackendStatus s : statuses()) {
            if (s.available()) {
                list.add(get(s.name()));
            }
        }
        return list;
    }

    /**
     * Makes {@code name} the process's default backend. Fails (IllegalArgumentException with the reason)
     * when it is unknown or unavailable.
     */
    public static synchronized Backend select(String name) {
        Backend b = get(name);
        explicitChoice = b.name();
        defaultBackend = b;
        return b;
    }

    /** The name given explicitly (select, -Danvil.backend, ANVIL_BACKEND), or null when automatic. */
    public static String explicitChoice() {
        if (explicitChoice != null) {
            return explicitChoice;
        }
        String p = System.getProperty("anvil.backend");
        if (p != null && !p.isBlank()) {
            return p.trim();
        }
        String e = System.getenv("ANVIL_BACKEND");
        return e == null || e.isBlank() ? null : e.trim();
    }

    /** The default backend of the process: the explicit choice, else the highest-priority available one. */
    public static Backend defaultBackend() {
        Backend b = defaultBackend;
        if (b == null) {
            synchronized (Backends.class) {
                if (defaultBackend == null) {
                    String explicit = explicitChoice();
                    if (explicit != null) {
                        defaultBackend = get(explicit);
                    } else {
                        BackendStatus best = statuses().stream().filter(BackendStatus::available).findFirst()
                                .orElseThrow(() -> new IllegalStateException("no backend is available"));
                        defaultBackend = get(best.name());
                    }
                }
                b = defaultBackend;
            }
        }
        return b;
    }

    /** The backend new tensors are created on by this thread: a {@link #use} override, else the default. */
    public static Backend current() {
        Backend b = OVERRIDE.get();
        return b != null ? b : defaultBackend();
    }

    /** Makes {@code backend} this thread's current backend until the returned handle is closed. */
    public static Using use(Backend backend) {
        Backend previous = OVERRIDE.get();
        OVERRIDE.set(backend);
        return new Using(previous);
    }

    /** {@link #use(Backend)} by name. */
    public static Using use(String name) {
        return use(get(name));
    }

    /** Restores the previous current backend when closed. */
    public static final class Using implements AutoCloseable {
        private final Backend previous;
        private boolean closed;

        private Using(Backend previous) {
            this.previous = previous;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                if (previous == null) {
                    OVERRIDE.remove();
                } else {
                    OVERRIDE.set(previous);
                }
            }
        }
    }
}
