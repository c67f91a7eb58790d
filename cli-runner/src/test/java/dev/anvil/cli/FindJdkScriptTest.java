package dev.anvil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JDK search of the launcher ({@code scripts/find-jdk.sh}, sourced by {@code ./anvil}), run against fake
 * JDK folders with a PATH that holds only the tools the script needs (so the machine's own JDKs stay out).
 */
class FindJdkScriptTest {
    private static final Path SCRIPT = Path.of("..", "scripts", "find-jdk.sh").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    private Path bash;
    private Path tools;

    /** The outcome of one search: exit code, stdout ("home|version" on success), stderr. */
    record Search(int code, String out, String err) {
    }

    @BeforeEach
    void tools() throws IOException {
        Optional<Path> b = onPath("bash");
        assumeTrue(b.isPresent() && Files.isRegularFile(SCRIPT), "needs bash and scripts/find-jdk.sh");
        bash = b.get();
        tools = Files.createDirectories(dir.resolve("tools"));
        for (String tool : new String[] {"grep", "sed", "head", "dirname", "readlink"}) {
            Optional<Path> p = onPath(tool);
            assumeTrue(p.isPresent(), "needs " + tool);
            // A wrapper rather than a symlink: JUnit warns about links that point out of its temp dir.
            executable(tools.resolve(tool), "#!/bin/sh\nexec '" + p.get() + "' \"$@\"\n");
        }
    }

    private static Optional<Path> onPath(String name) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            Path p = Path.of(d, name);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** A fake JDK: bin/java printing {@code version} like {@code java -version}, a release file unless null. */
    private Path jdk(String name, String version, String releaseVersion, boolean javac) throws IOException {
        Path home = Files.createDirectories(dir.resolve("jvm").resolve(name));
        Path binDir = Files.createDirectories(home.resolve("bin"));
        executable(binDir.resolve("java"), "#!/bin/sh\necho 'openjdk version \"" + version + "\" 2026-01-20' >&2\n");
        if (javac) {
            executable(binDir.resolve("javac"), "#!/bin/sh\nexit 0\n");
        }
        if (releaseVersion != null) {
            Files.writeString(home.resolve("release"), "IMPLEMENTOR=\"Test\"\nJAVA_VERSION=\"" + releaseVersion + "\"\n");
        }
        return home.toRealPath();
    }

    private static void executable(Path p, String text) throws IOException {
        Files.writeString(p, text);
        assertTrue(p.toFile().setExecutable(true));
    }

    private Search search(String javaHome) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(bash.toString(), "-c",
                "source \"$1\"; anvil_find_jdk && echo \"$ANVIL_JDK|$ANVIL_JDK_VERSION\"", "bash", SCRIPT.toString());
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", tools.toString());
        env.put("HOME", dir.toString());
        env.put("ANVIL_JDK_ROOTS", dir.resolve("jvm") + "/*");
        if (javaHome != null) {
            env.put("JAVA_HOME", javaHome);
        }
        Process p = pb.start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "find-jdk.sh did not finish");
        return new Search(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip(),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip());
    }

    @Test
    void skipsATooOldJavaHomeAndTakesTheNewestFittingJdk() throws Exception {
        Path old = jdk("jdk-17", "17.0.15", "17.0.15", true);
        jdk("jdk-25", "25.0.1", "25.0.1", true);
        Path newest = jdk("jdk-26", "26", "26", true);
        Search s = search(old.toString());
        assertEquals(0, s.code(), s.err());
        assertEquals(newest + "|26", s.out());
    }

    @Test
    void prefersAFittingJavaHome() throws Exception {
        Path home = jdk("jdk-25", "25.0.1", "25.0.1", true);
        jdk("jdk-26", "26", "26", true);
        Search s = search(home.toString());
        assertEquals(0, s.code(), s.err());
        assertEquals(home + "|25.0.1", s.out());
    }

    @Test
    void readsJavaVersionWhenThereIsNoReleaseFile() throws Exception {
        Path home = jdk("early-access", "26-ea", null, true);
        Search s = search(null);
        assertEquals(0, s.code(), s.err());
        assertEquals(home + "|26-ea", s.out());
    }

    @Test
    void failsNamingWhatItFound() throws Exception {
        Path old = jdk("jdk-17", "17.0.15", "17.0.15", true);
        Path jre = jdk("jre-25", "25.0.1", "25.0.1", false);
        jdk("legacy", "1.8.0_402", "1.8.0_402", true);
        Search s = search(null);
        assertEquals(1, s.code(), s.out());
        assertTrue(s.err().contains(old + " (17.0.15)"), s.err());
        assertTrue(s.err().contains(jre + " (25.0.1, a JRE without javac)"), s.err());
        assertTrue(s.err().contains("(1.8.0_402)"), s.err());
        assertTrue(s.err().contains("Anvil needs JDK 25 or newer"), s.err());
    }

    @Test
    void saysSoWhenThereIsNoJdkAtAll() throws Exception {
        Search s = search(null);
        assertEquals(1, s.code());
        assertTrue(s.err().startsWith("anvil: no JDK found"), s.err());
    }
}
