package dev.anvil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** anvil serve's command line: bad input is exit 2 with a message naming the flag or file. */
class ServeCommandTest {
    @TempDir
    Path dir;

    private record Run(int code, String err) {
    }

    private static Run run(String... args) {
        CommandLine cmd = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cmd.setOut(new PrintWriter(out));
        cmd.setErr(new PrintWriter(err));
        return new Run(cmd.execute(args), err.toString());
    }

    @Test
    void rejectsAMissingRepository() {
        Run r = run("serve", "--repo", dir.resolve("nope").toString(), "--port", "0");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--repo") && r.err().contains("no such folder"), r.err());
    }

    @Test
    void rejectsBadSettingsNamingTheFlag() throws Exception {
        Run batch = run("serve", "--repo", dir.toString(), "--port", "0", "--max-batch-size", "0");
        assertEquals(2, batch.code());
        assertTrue(batch.err().contains("--max-batch-size must be at least 1"), batch.err());
        Run token = run("serve", "--repo", dir.toString(), "--port", "0", "--token-file", Files.writeString(dir.resolve("t"), "\n").toString());
        assertEquals(2, token.code());
        assertTrue(token.err().contains("--token-file") && token.err().contains("non-empty"), token.err());
        Path cfg = Files.writeString(dir.resolve("c.json"), "{\"models\": [{\"name\": \"../x\"}]}");
        Run config = run("serve", "--repo", dir.toString(), "--port", "0", "--config", cfg.toString());
        assertEquals(2, config.code());
        assertTrue(config.err().contains("models[0]") && config.err().contains("model name '../x'"), config.err());
        Path policy = Files.writeString(dir.resolve("p.json"), "{\"models\": [{\"name\": \"m\", \"version_policy\": {\"latest\": 0}}]}");
        Run p = run("serve", "--repo", dir.toString(), "--port", "0", "--config", policy.toString());
        assertEquals(2, p.code());
        assertTrue(p.err().contains("version_policy") && p.err().contains("at least 1"), p.err());
    }
}
