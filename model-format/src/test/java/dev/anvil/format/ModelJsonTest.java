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
}
