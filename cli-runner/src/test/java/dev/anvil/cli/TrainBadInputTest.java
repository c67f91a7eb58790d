package dev.anvil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Bad input to train and eval: exit code 2 and one line that names what was wrong, no stack trace. */
class TrainBadInputTest {
    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        CommandLine cmd = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cmd.setOut(new PrintWriter(out));
        cmd.setErr(new PrintWriter(err));
        int code = cmd.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private static void badInput(Run r, String... mentions) {
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("anvil: "), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace without --verbose: " + r.err());
        for (String m : mentions) {
            assertTrue(r.err().contains(m), "message names '" + m + "': " + r.err());
        }
    }

    @Test
    void truncatedIdxFileNamesTheFileAndOffset() throws Exception {
        Path images = Files.write(dir.resolve("images.idx"), new byte[] {0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2});
        Path labels = Files.write(dir.resolve("labels.idx"), new byte[] {0, 0, 8, 1, 0, 0, 0, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0});
        badInput(run("train", "--data", "idx:" + images + "," + labels, "--epochs", "1"), "images.idx", "truncated", "offset");
    }

    @Test
    void csvWithAMissingColumnNamesTheLine() throws Exception {
        Path csv = Files.writeString(dir.resolve("d.csv"), "a,b,label\n1,2,0\n3,1\n");
        badInput(run("train", "--data", "csv:" + csv, "--epochs", "1"), "d.csv:3", "missing column");
    }

    @Test
    void badOptionsAreBadUsage() {
        badInput(run("train", "--data", "nosuch:thing"), "unknown source");
        badInput(run("train", "--data", "embedded", "--schedule", "step:x"), "step:EVERY:GAMMA");
        badInput(run("train", "--data", "embedded", "--optimizer", "lbfgs"), "lbfgs");
        badInput(run("train", "--data", "embedded", "--checkpoint-every", "1"), "--out");
        badInput(run("eval", "--model", dir.resolve("none").toString()), "no such package");
    }

    @Test
    void aModelFileWithAnUnknownLayerIsRejected() throws Exception {
        Path model = Files.writeString(dir.resolve("m.json"), "[{\"type\": \"linear\", \"in\": 784, \"out\": 10}, {\"type\": \"warp\"}]");
        badInput(run("train", "--data", "embedded", "--model", model.toString(), "--epochs", "1"), "layer 1", "warp");
    }
}
