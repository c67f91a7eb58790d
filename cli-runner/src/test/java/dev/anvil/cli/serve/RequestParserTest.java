package dev.anvil.cli.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The request parser on its own: shapes it accepts, and the 400 messages of what it refuses. */
class RequestParserTest {
    /** A model taking [2, 2] images (4 values) and giving 3 outputs. */
    private static final Signature SIG = new Signature("x", new int[] {2, 2}, 4, "logits", 3, null, null);

    private static RequestParser.Input predict(String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return RequestParser.predict(b, b.length, SIG);
    }

    private static String refused(String body) {
        HttpError e = assertThrows(HttpError.class, () -> predict(body), body);
        assertEquals(400, e.status(), e.getMessage());
        return e.getMessage();
    }

    @Test
    void readsFlatAndNestedInstancesAndColumns() {
        RequestParser.Input flat = predict("{\"instances\": [[1, 2.5, -3e1, 0], [ 4 ,5,6 , 7 ]]}");
        assertEquals(2, flat.n());
        assertArrayEquals(new float[] {1, 2.5f, -30, 0, 4, 5, 6, 7}, flat.x());
        RequestParser.Input nested = predict("{\"instances\": [[[1, 2], [3, 4]]]}");
        assertEquals(1, nested.n());
        assertArrayEquals(new float[] {1, 2, 3, 4}, nested.x());
        RequestParser.Input cols = predict("{\"inputs\": [[1, 2, 3, 4], [5, 6, 7, 8]]}");
        assertEquals(2, cols.n());
        assertTrue(cols.columnar());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, cols.x());
    }

    @Test
    void namesWhatIsWrongInALists() {
        // a list after numbers in the same list: the fast loop for number lists hands over to the general path
        assertTrue(refused("{\"instances\": [[1, 2, [3], 4]]}").contains("mixes numbers and lists"));
        assertTrue(refused("{\"instances\": [[[1, 2], 3]]}").contains("mixes numbers and lists"));
        assertTrue(refused("{\"instances\": [[1, 2, true, 4]]}").contains("holds true"));
        assertTrue(refused("{\"instances\": [[1, 2, \"3\", 4]]}").contains("holds a string"));
        String missingComma = refused("{\"instances\": [[1, 2 3, 4]]}");
        assertTrue(missingComma.contains("expected ']'") && missingComma.contains("byte 21"), missingComma);
        String trailingComma = refused("{\"instances\": [[1, 2, 3, ]]}");
        assertTrue(trailingComma.contains("holds ']' at byte 25"), trailingComma);
        assertTrue(refused("{\"instances\": [[[1, 2], [3]]]}").contains("ragged"));
        assertTrue(refused("{\"instances\": [[1, 2, 3]]}").contains("has shape [3]"));
        assertTrue(refused("{\"instances\": [[1, 2, 3, 4], [5, 6]]}").contains("instances[1]"));
    }
}
