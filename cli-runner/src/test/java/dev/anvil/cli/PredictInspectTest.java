package dev.anvil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.anvil.data.FashionMnist;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** predict and inspect on a package trained in the test (one epoch on the embedded subset). */
class PredictInspectTest {
    @TempDir
    static Path dir;
    static Path pkg;

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        CommandLine cmd = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cmd.setOut(new PrintWriter(out));
        cmd.setErr(new PrintWriter(err));
        return new Run(cmd.execute(args), out.toString(), err.toString());
    }

    @BeforeAll
    static void train() {
        pkg = dir.resolve("mlp");
        Run r = run("train", "--data", "embedded", "--epochs", "1", "--json", "--out", pkg.toString());
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void predictsFromInstancesJsonAndFromIdxImagesAlike() throws Exception {
        var test = FashionMnist.embedded().test();
        float[] f = new float[784];
        StringBuilder json = new StringBuilder("{\"instances\": [");
        ByteArrayOutputStream idx = new ByteArrayOutputStream();
        idx.write(new byte[] {0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 28, 0, 0, 0, 28});
        for (int i = 0; i < 3; i++) {
            test.features(i, f, 0);
            json.append(i == 0 ? "[" : ", [");
            for (int k = 0; k < 784; k++) {
                json.append(k == 0 ? "" : ",").append(f[k]);
                idx.write(Math.round(f[k] * 255));
            }
            json.append("]");
        }
        json.append("]}");
        Path jsonFile = Files.writeString(dir.resolve("in.json"), json);
        Path idxFile = Files.write(dir.resolve("in.idx"), idx.toByteArray());
        Run a = run("predict", "--model", pkg.toString(), "--input", jsonFile.toString(), "--top", "3", "--json");
        Run b = run("predict", "--model", pkg.toString(), "--input", idxFile.toString(), "--top", "3", "--json");
        assertEquals(0, a.code(), a.err());
        assertEquals(0, b.code(), b.err());
        var pa = JsonParser.parseString(a.out()).getAsJsonObject().getAsJsonArray("predictions");
        var pb = JsonParser.parseString(b.out()).getAsJsonObject().getAsJsonArray("predictions");
        assertEquals(3, pa.size());
        for (int i = 0; i < 3; i++) {
            JsonObject x = pa.get(i).getAsJsonObject();
            assertEquals(x.get("class").getAsInt(), pb.get(i).getAsJsonObject().get("class").getAsInt());
            assertEquals(3, x.getAsJsonArray("top").size());
            assertEquals(FashionMnist.CLASSES[x.get("class").getAsInt()], x.get("label").getAsString());
        }
        Run bad = run("predict", "--model", pkg.toString(), "--input", Files.writeString(dir.resolve("bad.json"),
                "{\"instances\": [[1, 2, 3]]}").toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("instance 0 has 3 values, the model takes 784"), bad.err());
    }

    @Test
    void inspectDescribesThePackage() {
        Run r = run("inspect", "--model", pkg.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(784L * 256 + 256 + 256L * 128 + 128 + 128L * 10 + 10, o.get("parameters").getAsLong());
        assertEquals(6, o.getAsJsonArray("tensors").size());
        assertEquals(64, o.get("weights_sha256").getAsString().length());
        Run text = run("inspect", "--model", pkg.toString());
        assertTrue(text.out().contains("Layers:") && text.out().contains("1.weight") && text.out().contains("Classes"), text.out());
    }
}
