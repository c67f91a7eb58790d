package dev.anvil.cli.serve;

import java.nio.charset.StandardCharsets;

/** Builds JSON responses in a StringBuilder: no object tree, floats written the shortest exact way. */
final class JsonOut {
    private final StringBuilder sb;

    JsonOut(int capacity) {
        sb = new StringBuilder(capacity);
    }

    JsonOut raw(String s) {
        sb.append(s);
        return this;
    }

    JsonOut raw(char c) {
        sb.append(c);
        return this;
    }

    JsonOut str(String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
        return this;
    }

    /** A float as TensorFlow Serving writes it (NaN and Infinity as bare words, as it does). */
    JsonOut num(float v) {
        if (v == (int) v && Math.abs(v) < 1e7f) {
            sb.append((int) v); // 0, 1, ... without ".0", as TF Serving prints whole floats
        } else {
            sb.append(v);
        }
        return this;
    }

    JsonOut num(long v) {
        sb.append(v);
        return this;
    }

    /** {@code [v0, v1, ...]} of {@code count} values from {@code at}. */
    JsonOut row(float[] y, int at, int count) {
        sb.append('[');
        for (int i = 0; i < count; i++) {
            if (i > 0) {
                sb.append(',');
            }
            num(y[at + i]);
        }
        sb.append(']');
        return this;
    }

    byte[] bytes() {
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return sb.toString();
    }

    static byte[] error(String message) {
        return new JsonOut(message.length() + 16).raw("{\"error\": ").str(message).raw('}').bytes();
    }
}
