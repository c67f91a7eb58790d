package dev.anvil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.anvil.DType;
import dev.anvil.Tensor;
import dev.anvil.format.ModelJson;
import dev.anvil.format.ModelPackage;
import dev.anvil.format.ModelRepository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code anvil publish}, run in-process through {@link Main#commandLine()}. */
class PublishCommandTest {
    @TempDir
    Path tmp;

    private Path pkg() throws IOException {
        ModelJson meta = new ModelJson(ModelJson.FORMAT_VERSION, "tiny", "1", new JsonArray(),
                List.of(new ModelJson.Io("x", DType.F32, List.of(-1, 2))),
                List.of(new ModelJson.Io("y", DType.F32, List.of(-1, 1))), new JsonObject(), List.of(),
                new JsonObject(), "0".repeat(64));
        Path dir = tmp.resolve("pkg");
        ModelPackage.save(dir, meta, Map.of("w", Tensor.fromArray(new float[] {1, 2}, DType.F32, 2, 1)));
        return dir;
    }

    @Test
    void printsTheNextVersionAndJson() throws IOException {
        Path pkg = pkg();
        Path repo = tmp.resolve("repo");
        MainTest.Run r = MainTest.run("publish", "--model", pkg.toString(), "--repo", repo.toString(), "--name", "tiny");
        assertEquals(0, r.code(), r.err());
        assertEquals("1", r.out().strip());
        r = MainTest.run("publish", "--model", pkg.toString(), "--repo", repo.toString(), "--name", "tiny", "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject o = r.json();
        assertEquals(2, o.get("version").getAsLong());
        assertEquals("tiny", o.get("name").getAsString());
        assertEquals(repo.resolve("tiny").resolve("2").toString(), o.get("path").getAsString());
        assertEquals(List.of(1L, 2L), new ModelRepository(repo).versions("tiny"));
    }

    @Test
    void aBadPackageOrNameIsBadInputOnOneLine() throws IOException {
        Path repo = tmp.resolve("repo");
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        MainTest.Run r = MainTest.run("publish", "--model", empty.toString(), "--repo", repo.toString(), "--name", "m");
        assertEquals(2, r.code());
        MainTest.assertOneLineError(r);
        assertTrue(r.err().contains("no model.json"), r.err());
        r = MainTest.run("publish", "--model", tmp.resolve("none").toString(), "--repo", repo.toString(), "--name", "m");
        assertEquals(2, r.code());
        MainTest.assertOneLineError(r);
        r = MainTest.run("publish", "--model", pkg().toString(), "--repo", repo.toString(), "--name", "../x");
        assertEquals(2, r.code());
        MainTest.assertOneLineError(r);
        assertTrue(r.err().contains("model name"), r.err());
        r = MainTest.run("publish", "--repo", repo.toString(), "--name", "m");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--model"), r.err());
    }
}
