package dev.anvil.format;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.file.Path;

/**
 * Reads {@code model.json} as RFC 8259 JSON and nothing more: no comments, single quotes, unquoted names or
 * NaN (which Gson's default parser lets through), no trailing data, and no key twice in one object (Gson would
 * keep the last silently, so two tools could read two different models from one file). Nesting is bounded so
 * a hostile file cannot overflow the stack. Every failure names the file, the line, the column and the JSON path.
 */
final class StrictJson {
    /** Deeper than any model.json needs; deep enough that real architectures never meet it. */
    static final int MAX_DEPTH = 64;

    private StrictJson() {
    }

    static JsonElement parse(Path file, String text) {
        JsonReader r = new JsonReader(new StringReader(text));
        r.setStrictness(Strictness.STRICT);
        try {
            JsonElement root = read(file, r, 0);
            if (r.peek() != JsonToken.END_DOCUMENT) {
                throw new ModelFormatException(file, null, -1, "not valid JSON: data after the top-level value " + where(r));
            }
            return root;
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            // Gson's messages already say "at line L column C path $.x"
            throw new ModelFormatException(file, null, -1, "not valid JSON: " + e.getMessage(), e);
        }
    }

    private static JsonElement read(Path file, JsonReader r, int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            throw new ModelFormatException(file, null, -1, "not valid JSON: nested deeper than " + MAX_DEPTH + " levels "
                    + where(r));
        }
        return switch (r.peek()) {
            case BEGIN_OBJECT -> {
                JsonObject o = new JsonObject();
                r.beginObject();
                while (r.hasNext()) {
                    String name = r.nextName();
                    if (o.has(name)) {
                        throw new ModelFormatException(file, null, -1, "not valid model JSON: key '" + name
                                + "' appears twice in one object " + where(r) + "; keep one of them");
                    }
                    o.add(name, read(file, r, depth + 1));
                }
                r.endObject();
                yield o;
            }
            case BEGIN_ARRAY -> {
                JsonArray a = new JsonArray();
                r.beginArray();
                while (r.hasNext()) {
                    a.add(read(file, r, depth + 1));
                }
                r.endArray();
                yield a;
            }
            case STRING -> new JsonPrimitive(r.nextString());
            case NUMBER -> new JsonPrimitive(new BigDecimal(r.nextString()));
            case BOOLEAN -> new JsonPrimitive(r.nextBoolean());
            case NULL -> {
                r.nextNull();
                yield JsonNull.INSTANCE;
            }
            default -> throw new ModelFormatException(file, null, -1, "not valid JSON: unexpected " + r.peek() + " " + where(r));
        };
    }

    /** "at line L column C path $.x", as Gson writes it. */
    private static String where(JsonReader r) {
        String s = r.toString(); // "JsonReader at line 3 column 5 path $.a"
        int at = s.indexOf(" at line ");
        return at < 0 ? "at " + r.getPath() : s.substring(at + 1);
    }
}
