package dev.anvil.cli.serve;

import java.nio.charset.StandardCharsets;

/**
 * A forward-only JSON reader over request bytes, for bodies that are mostly numbers: numbers are parsed in place
 * (exact fast path for up to 18 significant digits and powers of ten up to 22, the JDK's parser otherwise), with
 * no object tree and no per-number allocation. Every syntax error is a 400 naming the byte offset.
 */
final class JsonScanner {
    private static final double[] POW10 = new double[23];

    static {
        double p = 1;
        for (int i = 0; i < POW10.length; i++) {
            POW10[i] = p;
            p *= 10;
        }
    }

    private final byte[] b;
    private final int end;
    private int pos;

    JsonScanner(byte[] bytes, int length) {
        this.b = bytes;
        this.end = length;
    }

    int position() {
        return pos;
    }

    /** The next non-blank byte without consuming it, or -1 at the end. */
    int peek() {
        skipBlank();
        return pos < end ? b[pos] : -1;
    }

    void expect(char c) {
        skipBlank();
        if (pos >= end || b[pos] != c) {
            throw error("expected '" + c + "'");
        }
        pos++;
    }

    /** Consumes {@code c} when it is next. */
    boolean consume(char c) {
        skipBlank();
        if (pos < end && b[pos] == c) {
            pos++;
            return true;
        }
        return false;
    }

    /**
     * Consumes a ',' when a number follows it (blanks allowed around it); otherwise consumes nothing, so the
     * caller's general path sees the comma and reports what follows it.
     */
    boolean consumeCommaBeforeNumber() {
        skipBlank();
        if (pos >= end || b[pos] != ',') {
            return false;
        }
        int comma = pos++;
        skipBlank();
        if (pos < end && (b[pos] == '-' || (b[pos] >= '0' && b[pos] <= '9'))) {
            return true;
        }
        pos = comma;
        return false;
    }

    /** Checks that only blanks remain. */
    void expectEnd() {
        skipBlank();
        if (pos != end) {
            throw error("unexpected data after the JSON value");
        }
    }

    /** What the next value is, for error messages: "a string", "an object", "true", "']'", ... */
    String describeNext() {
        int c = peek();
        return switch (c) {
            case '"' -> "a string";
            case '{' -> "an object";
            case '[' -> "a list";
            case 't' -> "true";
            case 'f' -> "false";
            case 'n' -> "null";
            case -1 -> "nothing";
            default -> c == '-' || (c >= '0' && c <= '9') ? "a number" : "'" + (char) c + "'";
        };
    }

    boolean nextIsNumber() {
        int c = peek();
        return c == '-' || (c >= '0' && c <= '9');
    }

    String readString() {
        skipBlank();
        if (pos >= end || b[pos] != '"') {
            throw error("expected a string");
        }
        int start = ++pos;
        while (pos < end && b[pos] != '"' && b[pos] != '\\' && b[pos] >= 0x20) {
            pos++;
        }
        if (pos < end && b[pos] == '"') {
            return new String(b, start, pos++ - start, StandardCharsets.UTF_8);
        }
        // escapes or non-ASCII control characters: the slow path
        StringBuilder sb = new StringBuilder(new String(b, start, pos - start, StandardCharsets.UTF_8));
        java.io.ByteArrayOutputStream raw = new java.io.ByteArrayOutputStream();
        while (true) {
            if (pos >= end) {
                throw error("unterminated string");
            }
            byte c = b[pos++];
            if (c == '"') {
                break;
            }
            if (c >= 0 && c < 0x20) {
                throw error("control character in a string");
            }
            if (c != '\\') {
                raw.write(c);
                continue;
            }
            flush(raw, sb);
            if (pos >= end) {
                throw error("unterminated escape");
            }
            byte e = b[pos++];
            switch (e) {
                case '"' -> sb.append('"');
                case '\\' -> sb.append('\\');
                case '/' -> sb.append('/');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    if (pos + 4 > end) {
                        throw error("short \\u escape");
                    }
                    int v = 0;
                    for (int i = 0; i < 4; i++) {
                        int d = Character.digit(b[pos++], 16);
                        if (d < 0) {
                            throw error("bad \\u escape");
                        }
                        v = v * 16 + d;
                    }
                    sb.append((char) v);
                }
                default -> throw error("bad escape '\\" + (char) e + "'");
            }
        }
        flush(raw, sb);
        return sb.toString();
    }

    private static void flush(java.io.ByteArrayOutputStream raw, StringBuilder sb) {
        if (raw.size() > 0) {
            sb.append(raw.toString(StandardCharsets.UTF_8));
            raw.reset();
        }
    }

    /**
     * A JSON number as a double (exact when it has at most 18 significant digits and a small exponent). The hot
     * loop of every request body: it works on locals and stores the position once, which C2 cannot do for it
     * while the field is written per byte.
     */
    double readNumber() {
        skipBlank();
        final byte[] b = this.b;
        final int end = this.end;
        final int start = pos;
        int p = start;
        boolean negative = false;
        if (p < end && b[p] == '-') {
            negative = true;
            p++;
        }
        long mantissa = 0;
        int digits = 0;
        int exp10 = 0;
        boolean inexact = false;
        int c = p < end ? b[p] : -1;
        if (c == '0') {
            p++;
        } else if (c >= '1' && c <= '9') {
            while (p < end && (c = b[p] - '0') >= 0 && c <= 9) {
                p++;
                if (digits < 18) {
                    mantissa = mantissa * 10 + c;
                    digits++;
                } else {
                    exp10++;
                    inexact |= c != 0;
                }
            }
        } else {
            pos = p;
            throw error(p < end ? "expected a number, found " + describeNext() : "expected a number");
        }
        if (p < end && b[p] == '.') {
            p++;
            if (p >= end || b[p] < '0' || b[p] > '9') {
                pos = p;
                throw error("expected a digit after '.'");
            }
            while (p < end && (c = b[p] - '0') >= 0 && c <= 9) {
                p++;
                if (digits < 18) {
                    mantissa = mantissa * 10 + c;
                    if (mantissa != 0) {
                        digits++;
                    }
                    exp10--;
                } else {
                    inexact |= c != 0;
                }
            }
        }
        if (p < end && (b[p] == 'e' || b[p] == 'E')) {
            p++;
            int sign = 1;
            if (p < end && (b[p] == '+' || b[p] == '-')) {
                sign = b[p++] == '-' ? -1 : 1;
            }
            if (p >= end || b[p] < '0' || b[p] > '9') {
                pos = p;
                throw error("expected a digit in the exponent");
            }
            int e = 0;
            while (p < end && b[p] >= '0' && b[p] <= '9') {
                e = Math.min(100_000, e * 10 + (b[p++] - '0'));
            }
            exp10 += sign * e;
        }
        pos = p;
        if (!inexact && mantissa < (1L << 53) && exp10 >= -22 && exp10 <= 22) {
            double v = exp10 >= 0 ? mantissa * POW10[exp10] : mantissa / POW10[-exp10];
            return negative ? -v : v;
        }
        return Double.parseDouble(new String(b, start, p - start, StandardCharsets.ISO_8859_1));
    }

    /** A non-negative integer that fits a long. */
    long readLong(String what) {
        double v = readNumber();
        if (v != Math.rint(v) || v < 0 || v > 9.0e18) {
            throw HttpError.badRequest(what + " must be a non-negative integer, got " + v);
        }
        return (long) v;
    }

    /** Skips one value of any kind. */
    void skipValue() {
        int c = peek();
        switch (c) {
            case '{' -> {
                pos++;
                if (!consume('}')) {
                    do {
                        readString();
                        expect(':');
                        skipValue();
                    } while (consume(','));
                    expect('}');
                }
            }
            case '[' -> {
                pos++;
                if (!consume(']')) {
                    do {
                        skipValue();
                    } while (consume(','));
                    expect(']');
                }
            }
            case '"' -> readString();
            case 't' -> literal("true");
            case 'f' -> literal("false");
            case 'n' -> literal("null");
            default -> readNumber();
        }
    }

    private void literal(String word) {
        for (int i = 0; i < word.length(); i++) {
            if (pos >= end || b[pos] != word.charAt(i)) {
                throw error("expected " + word);
            }
            pos++;
        }
    }

    private void skipBlank() {
        while (pos < end) {
            byte c = b[pos];
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                return;
            }
            pos++;
        }
    }

    HttpError error(String what) {
        return HttpError.badRequest("malformed JSON at byte " + pos + ": " + what);
    }
}
