package dev.anvil.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.anvil.DType;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelJsonTest {
    private static final Path FILE = Path.of("pkg", "model.json");

    static ModelJson sample() {
        JsonArray arch = new JsonArray();
        JsonObject dense = new JsonObject();
        dense.addProperty("type", "linear");
        dense.addProperty("in", 784);
        dense.addProperty("out", 10);
        arch.add(dense);
        JsonObject pre = new JsonObject();
        pre.addProperty("scale", 1 / 255.0);
        JsonObject training = new JsonObject();
        training.addProperty("dataset", "mnist");
        training.addProperty("epochs", 3);
        return new ModelJson(1, "mnist-mlp", "1", arch,
                List.of(new ModelJson.Io("pixels", DType.F32, List.of(-1, 784))),
                List.of(new ModelJson.Io("logits", DType.F32, List.of(-1, 10))), pre,
                List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), training, "ab".repeat(32));
    }

    @Test
    void roundTripsThroughJson() {
        ModelJson m = sample();
        assertEquals(m, ModelJson.parse(FILE, m.toJson()));
    }

    @Test
    void refusesANewerFormatVersionNamingTheOneItReads() {
        String json = sample().toJson().replace("\"format_version\": 1", "\"format_version\": 7");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelJson.parse(FILE, json));
        assertTrue(e.getMessage().contains("format_version 7") && e.getMessage().contains("reads format version 1"),
                e.getMessage());
    }

    @Test
    void namesMissingAndMistypedFields() {
        String missing = sample().toJson().replace("\"name\": \"mnist-mlp\",", "");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelJson.parse(FILE, missing));
        assertTrue(e.getMessage().contains("'name' is missing"), e.getMessage());
        String mistyped = sample().toJson().replace("\"dtype\": \"F32\"", "\"dtype\": 3");
        e = assertThrows(ModelFormatException.class, () -> ModelJson.parse(FILE, mistyped));
        assertTrue(e.getMessage().contains("'signature.inputs[0].dtype' should be a string"), e.getMessage());
        String badShape = sample().toJson().replace("-1,", "1.5,");
        e = assertThrows(ModelFormatException.class, () -> ModelJson.parse(FILE, badShape));
        assertTrue(e.getMessage().contains("signature.inputs[0].shape[0]"), e.getMessage());
        e = assertThrows(ModelFormatException.class, () -> ModelJson.parse(FILE, "{\"format_version\": 1"));
        assertTrue(e.getMessage().startsWith(FILE.toString()), e.getMessage());
    }

    @Test
    void refusesAKeyTwiceInOneObjectNamingItAndWhere() {
        String json = sample().toJson().replace("\"name\": \"mnist-mlp\",", "\"name\": \"mnist-mlp\", \"name\": \"other\",");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelJson.parse(FILE, json));
        assertTrue(e.getMessage().contains("key 'name' appears twice") && e.getMessage().contains("line"), e.getMessage());
        // the same key in two different objects is fine
        assertEquals(sample(), ModelJson.parse(FILE, sample().toJson()));
    }

    @Test
    void refusesLenientJsonThatGsonWouldAccept() {
        String base = sample().toJson();
        for (String bad : new String[] {
                base.replace("\"name\": \"mnist-mlp\"", "name: \"mnist-mlp\""), // unquoted name
                base.replace("\"mnist-mlp\"", "'mnist-mlp'"), // single quotes
                base.replaceFirst("\\{", "{ /* comment */"), // comment
                base + " {}", // trailing data
                base.replace("\"epochs\": 3", "\"epochs\": NaN")}) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelJson.parse(FILE, bad), bad);
            assertTrue(e.getMessage().startsWith(FILE.toString()) && e.getMessage().contains("JSON"), e.getMessage());
        }
    }

    @Test
    void refusesDeepNestingWithoutOverflowingTheStack() {
        String deep = "{\"format_version\": " + "[".repeat(100_000) + "]".repeat(100_000) + "}";
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelJson.parse(FILE, deep));
        assertTrue(e.getMessage().contains("nested deeper than"), e.getMessage());
    }

    @Test
    void refusesHugeIntegersWithoutExpandingThem() {
        String json = sample().toJson().replace("\"format_version\": 1", "\"format_version\": 1e999999999");
        long t0 = System.nanoTime();
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelJson.parse(FILE, json));
        assertTrue(e.getMessage().contains("'format_version' should be an integer"), e.getMessage());
        assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "took too long");
    }
}
