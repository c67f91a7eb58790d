package dev.anvil.cli;

import dev.anvil.Backends;
import dev.anvil.spi.ComputePool;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code anvil} command: global options and the sub-commands, one class each.
 *
 * <p>Global options are inherited ({@link ScopeType#INHERIT}), so {@code anvil --threads 2 bench} and
 * {@code anvil bench --threads 2} mean the same. Their values land on this object (picocli binds an
 * inherited option to the command that declares it) and are applied once parsing is complete, before the
 * sub-command runs: threads first (it must reach {@code ComputePool} before the class initialises), then
 * the backend.
 *
 * <p>Exit codes: 0 success, 1 failed run, 2 bad usage or bad input. Errors print one line,
 * {@code anvil: <message>}, on stderr; {@code --verbose} adds the stack trace.
 *
 * <pre>{@code
 * int code = Main.commandLine().execute("info", "--json");
 * }</pre>
 */
@Command(name = "anvil",
        mixinStandardHelpOptions = true,
        scope = ScopeType.INHERIT,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = "Anvil: a deep-learning runtime for the JVM.",
        subcommands = {InfoCommand.class, BenchCommand.class, ReportCommand.class, TrainCommand.class, EvalCommand.class,
                PredictCommand.class, InspectCommand.class, PruneCommand.class, QuantizeCommand.class, DistillCommand.class,
                QuickstartCommand.class, PublishCommand.class, ServeCommand.class, CommandLine.HelpCommand.class},
        footer = {"",
                "Backend choice: --backend, else -Danvil.backend, else ANVIL_BACKEND, else the available backend with",
                "the highest priority. Threads: --threads, else -Danvil.threads, else ANVIL_THREADS, else all cores.",
                "Exit codes: 0 success, 1 failed run, 2 bad usage or bad input."})
public final class Main implements Callable<Integer> {
    /** Exit code of a run that failed. */
    static final int EXIT_FAILED = 1;
    /** Exit code of bad usage or bad input. */
    static final int EXIT_USAGE = 2;

    @Spec
    private CommandSpec spec;

    private String backend;
    private Integer threads;
    private boolean verbose;
    /** Why {@code --backend} could not be selected; info reports it after its table, others fail at once. */
    private RuntimeException backendError;

    /** Builds the command; {@link #commandLine()} adds the error handling {@link #main} relies on. */
    public Main() {
    }

    /** Entry point of the {@code anvil} command; the only place that calls {@link System#exit}. */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /**
     * The configured command line: error handlers, exit-code mapping and the execution strategy that applies
     * the global options. Tests run commands in-process with it, redirecting output with
     * {@link CommandLine#setOut} and {@link CommandLine#setErr}.
     */
    public static CommandLine commandLine() {
        Main main = new Main();
        CommandLine cmd = new CommandLine(main);
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        cmd.setExecutionStrategy(main::execute);
        cmd.setParameterExceptionHandler(main::handleParameterException);
        cmd.setExecutionExceptionHandler(main::handleExecutionException);
        return cmd;
    }

    @Option(names = "--backend", paramLabel = "NAME", scope = ScopeType.INHERIT, order = 1,
            description = "Backend to run on (reference, cpu-vector, ...); an unavailable one is an error. "
                    + "Default: -Danvil.backend, ANVIL_BACKEND, else the highest priority available.")
    void setBackend(String name) {
        if (name.isBlank()) {
            throw new ParameterException(spec.commandLine(), "--backend needs a backend name");
        }
        backend = name.trim();
    }

    @Option(names = "--threads", paramLabel = "N", scope = ScopeType.INHERIT, order = 2,
            description = "Compute threads of the CPU backends. Default: -Danvil.threads, ANVIL_THREADS, else all cores.")
    void setThreads(int n) {
        if (n < 1) {
            throw new ParameterException(spec.commandLine(), "--threads must be a positive integer, got " + n);
        }
        threads = n;
        // Set while parsing, before any backend or ComputePool class can initialise and read it.
        System.setProperty("anvil.threads", Integer.toString(n));
    }

    @Option(names = "--verbose", scope = ScopeType.INHERIT, order = 3,
            description = "More detail; stack traces on errors.")
    void setVerbose(boolean v) {
        verbose = v;
    }

    /** Without a sub-command: a one-line usage error. */
    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing sub-command (quickstart, train, eval, predict, inspect, "
                + "prune, quantize, distill, publish, serve, info, bench, report or help)");
    }

    /** The name given with {@code --backend}, or null. */
    String backendOption() {
        return backend;
    }

    boolean verbose() {
        return verbose;
    }

    /** Why the {@code --backend} choice failed, or null. */
    RuntimeException backendError() {
        return backendError;
    }

    /** Applies the global options, then runs the last sub-command named on the command line. */
    private int execute(ParseResult parseResult) {
        if (lastSubcommandHelp(parseResult)) {
            return new CommandLine.RunLast().execute(parseResult);
        }
        CommandLine last = last(parseResult).commandSpec().commandLine();
        try {
            applyGlobalOptions(last);
            return new CommandLine.RunLast().execute(parseResult);
        } catch (ParameterException | CommandLine.ExecutionException e) {
            throw e;
        } catch (RuntimeException | ExceptionInInitializerError | NoClassDefFoundError e) {
            // picocli's handlers only see exceptions wrapped like this; a failed static initialiser (for example
            // an invalid ANVIL_THREADS read by ComputePool) arrives as an Error and is unwrapped there.
            throw new CommandLine.ExecutionException(last, e.toString(), e);
        }
    }

    private void applyGlobalOptions(CommandLine last) {
        if (threads == null && last.getCommandSpec().userObject() instanceof ServeCommand
                && System.getProperty("anvil.threads") == null && System.getenv("ANVIL_THREADS") == null) {
            // the server runs one forward pass per core at once; threads inside each pass would only contend with them
            System.setProperty("anvil.threads", "1");
        }
        int actual = ComputePool.threads(); // starts the pool now: a bad ANVIL_THREADS fails here, as bad input
        if (threads != null) {
            if (actual != threads) {
                // Only possible in-process (tests, embedding): the pool started before this command ran.
                last.getErr().println("anvil: warning: --threads " + threads
                        + " has no effect: the compute pool already runs " + actual + " threads");
            }
        }
        if (backend != null) {
            try {
                Backends.select(backend);
            } catch (IllegalArgumentException | IllegalStateException e) {
                if (!(last.getCommandSpec().userObject() instanceof InfoCommand)) {
                    throw e;
                }
                backendError = e;
            }
        }
    }

    private static boolean lastSubcommandHelp(ParseResult parseResult) {
        ParseResult p = parseResult;
        while (p != null) {
            if (p.isUsageHelpRequested() || p.isVersionHelpRequested()) {
                return true;
            }
            p = p.subcommand();
        }
        return false;
    }

    private static ParseResult last(ParseResult parseResult) {
        ParseResult p = parseResult;
        while (p.hasSubcommand()) {
            p = p.subcommand();
        }
        return p;
    }

    private int handleParameterException(ParameterException e, String[] args) {
        PrintWriter err = e.getCommandLine().getErr();
        err.println("anvil: " + oneLine(e.getMessage()) + hint(e.getCommandLine()));
        if (verbose || List.of(args).contains("--verbose")) {
            e.printStackTrace(err);
        }
        err.flush();
        return EXIT_USAGE;
    }

    private static String hint(CommandLine cmd) {
        String name = cmd.getCommandSpec().qualifiedName();
        return " (see '" + name + " --help')";
    }

    private int handleExecutionException(Exception e, CommandLine cmd, ParseResult parseResult) {
        Throwable cause = unwrap(e);
        boolean badInput = cause instanceof IllegalArgumentException || cause instanceof ParameterException
                || cause instanceof dev.anvil.data.DataFileException; // a bad data file is bad input: exit 2
        PrintWriter err = cmd.getErr();
        String message = cause.getMessage() == null || cause.getMessage().isBlank()
                ? cause.getClass().getName() : oneLine(cause.getMessage());
        if (!badInput) {
            message = cause.getClass().getSimpleName() + ": " + message;
        }
        err.println("anvil: " + message);
        if (verbose) {
            e.printStackTrace(err);
        } else if (!badInput) {
            err.println("anvil: run with --verbose for the stack trace");
        }
        err.flush();
        return badInput ? EXIT_USAGE : EXIT_FAILED;
    }

    /** The exception that says what went wrong, without picocli's and the class initialiser's wrappers. */
    static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while ((t instanceof CommandLine.ExecutionException || t instanceof ExceptionInInitializerError)
                && t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    static String oneLine(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s*\\R\\s*", " ");
    }
}
