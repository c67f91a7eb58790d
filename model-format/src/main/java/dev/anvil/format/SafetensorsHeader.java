package dev.anvil.format;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.anvil.DType;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The parsed and validated JSON header of a safetensors file. Parsing uses a streaming {@link JsonReader}
 * rather than Gson's object mapping, which would silently keep the last of two equal keys; every rule is
 * checked before any offset is used.
 */
record SafetensorsHeader(List<Entry> entries, Map<String, String> metadata, long dataStart) {

    /** Largest header the reader accepts, as in the reference implementation. */
    static final long MAX_HEADER = 100_000_000L;
    static final String METADATA = "__metadata__";

    /** One tensor: where its bytes lie relative to the data section. */
    record Entry(String name, DType dtype, int[] shape, long begin, long end) {
        long byteLength() {
            return end - begin;
        }
    }

    /** The dtype names of the safetensors format that Anvil has, spelled as the format spells them. */
    static DType dtypeOf(String name) {
        return switch (name) {
            case "F32" -> DType.F32;
            case "F64" -> DType.F64;
            case "F16" -> DType.F16;
            case "BF16" -> DType.BF16;
            case "I64" -> DType.I64;
            case "I32" -> DType.I32;
            case "I16" -> DType.I16;
            case "I8" -> DType.I8;
            case "U8" -> DType.U8;
            case "BOOL" -> DType.BOOL;
            default -> null;
        };
    }

    /** The safetensors spelling of {@code t} (the enum constants are named as the format names them). */
    static String nameOf(DType t) {
        return t.name();
    }

    /**
     * Checks the 8-byte length prefix against the file size and returns N, the header length.
     *
     * @param prefix the first 8 bytes, little-endian
     */
    static long headerLength(Path file, long fileSize, long prefix) {
        if (prefix < 0 || prefix > MAX_HEADER) {
            throw new ModelFormatException(file, null, 0, "header length " + Long.toUnsignedString(prefix)
                    + " is over the limit of " + MAX_HEADER + " bytes");
        }
        if (8 + prefix > fileSize) {
            throw new ModelFormatException(file, null, 0, "header length " + prefix + " reaches byte " + (8 + prefix)
                    + " but the file has only " + fileSize + " bytes");
        }
        return prefix;
    }

    /** Parses and validates {@code header} (the N bytes after the prefix) for a file of {@code fileSize} bytes. */
    static SafetensorsHeader parse(Path file, byte[] header, long fileSize) {
        String json;
        try {
            json = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(header)).toString();
        } catch (CharacterCodingException e) {
            throw new ModelFormatException(file, null, 8, "header is not valid UTF-8", e);
        }
        long dataStart = 8L + header.length;
        Parser p = new Parser(file, header, json);
        try {
            p.document();
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            // MalformedJsonException (an IOException) and wrong-token errors of JsonReader: bad JSON, not bad I/O
            throw new ModelFormatException(file, p.current, p.offsetOf(p.current),
                    "header is not JSON of the safetensors shape: " + e.getMessage(), e);
        }
        validateLayout(file, p.entries, dataStart, fileSize);
        return new SafetensorsHeader(List.copyOf(p.entries), Map.copyOf(p.metadata), dataStart);
    }

    /** Contiguity from 0, sizes, leftovers, then duplicate names: the reference implementation's order. */
    private static void validateLayout(Path file, List<Entry> entries, long dataStart, long fileSize) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long dataLength = fileSize - dataStart;
        long expected = 0;
        for (Entry e : sorted) {
            if (e.begin() != expected) {
                throw new ModelFormatException(file, e.name(), dataStart + Math.min(e.begin(), expected),
                        "data_offsets [" + e.begin() + ", " + e.end() + "] " + (e.begin() > expected ? "leave a gap"
                                : "overlap the previous tensor") + ": tensors must be contiguous, this one should begin at "
                                + expected);
            }
            if (e.end() < e.begin()) {
                throw new ModelFormatException(file, e.name(), dataStart + e.begin(),
                        "data_offsets [" + e.begin() + ", " + e.end() + "] end before they begin");
            }
            if (e.end() > dataLength) {
                throw new ModelFormatException(file, e.name(), dataStart + e.begin(), "data_offsets [" + e.begin()
                        + ", " + e.end() + "] reach past the end of the file (" + dataLength + " data bytes)");
            }
            long bytes;
            try {
                bytes = Math.multiplyExact(numel(e.shape()), e.dtype().byteSize());
            } catch (ArithmeticException x) {
                throw new ModelFormatException(file, e.name(), dataStart + e.begin(), "shape "
                        + java.util.Arrays.toString(e.shape()) + " of " + e.dtype() + " overflows a 64-bit byte count", x);
            }
            if (bytes != e.byteLength()) {
                throw new ModelFormatException(file, e.name(), dataStart + e.begin(), "shape "
                        + java.util.Arrays.toString(e.shape()) + " of " + nameOf(e.dtype()) + " needs " + bytes
                        + " bytes but data_offsets [" + e.begin() + ", " + e.end() + "] hold " + e.byteLength());
            }
            expected = e.end();
        }
        if (expected != dataLength) {
            throw new ModelFormatException(file, null, dataStart + expected, (dataLength - expected)
                    + " bytes are left over after the last tensor");
        }
        Set<String> seen = new HashSet<>();
        for (Entry e : entries) {
            if (!seen.add(e.name())) {
                throw new ModelFormatException(file, e.name(), 8, "the name appears twice in the header");
            }
        }
    }

    static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Streaming parser over the header text; never nests deeper than three levels. */
    private static final class Parser {
        private final Path file;
        private final byte[] header;
        private final JsonReader in;
        final List<Entry> entries = new ArrayList<>();
        final Map<String, String> metadata = new LinkedHashMap<>();
        String current; // the tensor being parsed, for messages

        Parser(Path file, byte[] header, String json) {
            this.file = file;
            this.header = header;
            this.in = new JsonReader(new StringReader(json));
            in.setStrictness(Strictness.STRICT);
        }

        /** Absolute file offset of the tensor's quoted name in the header when found, else the header start. */
        long offsetOf(String name) {
            if (name == null) {
                return 8;
            }
            byte[] needle = ("\"" + name + "\"").getBytes(StandardCharsets.UTF_8);
            if ((long) header.length * needle.length > 200_000_000L) {
                return 8; // a naive search this large could take seconds; the header start will do
            }
            outer:
            for (int i = 0; i + needle.length <= header.length; i++) {
                for (int j = 0; j < needle.length; j++) {
                    if (header[i + j] != needle[j]) {
                        continue outer;
                    }
                }
                return 8L + i;
            }
            return 8;
        }

        private ModelFormatException fail(String problem) {
            return new ModelFormatException(file, current, offsetOf(current), problem + " (JSON path "
                    + in.getPath() + ")");
        }

        void document() throws IOException {
            expect(JsonToken.BEGIN_OBJECT, "the header");
            in.beginObject();
            boolean sawMetadata = false;
            while (in.hasNext()) {
                String name = in.nextName();
                if (METADATA.equals(name)) {
                    if (sawMetadata) {
                        current = null;
                        throw fail("\"__metadata__\" appears twice in the header");
                    }
                    sawMetadata = true;
                    metadata();
                } else {
                    current = name;
                    entries.add(tensor(name));
                    current = null;
                }
            }
            in.endObject();
            if (in.peek() != JsonToken.END_DOCUMENT) {
                throw fail("text after the header object");
            }
        }

        private void metadata() throws IOException {
            expect(JsonToken.BEGIN_OBJECT, "\"__metadata__\"");
            in.beginObject();
            while (in.hasNext()) {
                String key = in.nextName();
                if (metadata.containsKey(key)) {
                    throw fail("metadata key '" + key + "' appears twice");
                }
                expect(JsonToken.STRING, "metadata value '" + key + "'");
                metadata.put(key, in.nextString());
            }
            in.endObject();
        }

        private Entry tensor(String name) throws IOException {
            expect(JsonToken.BEGIN_OBJECT, "the tensor entry");
            in.beginObject();
            String dtypeName = null;
            long[] shape = null;
            long[] offsets = null;
            while (in.hasNext()) {
                String key = in.nextName();
                switch (key) {
                    case "dtype" -> {
                        if (dtypeName != null) {
                            throw fail("\"dtype\" appears twice");
                        }
                        expect(JsonToken.STRING, "\"dtype\"");
                        dtypeName = in.nextString();
                        if (dtypeOf(dtypeName) == null) {
                            throw fail("unknown dtype \"" + dtypeName
                                    + "\"; Anvil reads F32, F64, F16, BF16, I64, I32, I16, I8, U8 and BOOL");
                        }
                    }
                    case "shape" -> {
                        if (shape != null) {
                            throw fail("\"shape\" appears twice");
                        }
                        shape = integers("shape", -1);
                    }
                    case "data_offsets" -> {
                        if (offsets != null) {
                            throw fail("\"data_offsets\" appears twice");
                        }
                        offsets = integers("data_offsets", 2);
                    }
                    default -> throw fail("unexpected field \"" + key
                            + "\"; a tensor entry has dtype, shape and data_offsets");
                }
            }
            in.endObject();
            if (dtypeName == null || shape == null || offsets == null) {
                throw fail("entry lacks " + (dtypeName == null ? "\"dtype\"" : shape == null ? "\"shape\""
                        : "\"data_offsets\""));
            }
            int[] dims = new int[shape.length];
            for (int i = 0; i < shape.length; i++) {
                if (shape[i] > Integer.MAX_VALUE) {
                    throw fail("dimension " + shape[i] + " is larger than Anvil's limit of " + Integer.MAX_VALUE);
                }
                dims[i] = (int) shape[i];
            }
            return new Entry(name, dtypeOf(dtypeName), dims, offsets[0], offsets[1]);
        }

        /** A JSON array of non-negative integers; {@code count} elements exactly, or any number when -1. */
        private long[] integers(String field, int count) throws IOException {
            expect(JsonToken.BEGIN_ARRAY, "\"" + field + "\"");
            in.beginArray();
            long[] values = new long[4];
            int n = 0;
            while (in.hasNext()) {
                if (in.peek() != JsonToken.NUMBER) {
                    throw fail("\"" + field + "\" holds " + in.peek() + " where a non-negative integer belongs");
                }
                String literal = in.nextString();
                long v = parseNonNegative(literal);
                if (v < 0) {
                    throw fail("\"" + field + "\" entry " + literal + " is not a non-negative integer");
                }
                if (count >= 0 && n == count) {
                    throw fail("\"" + field + "\" has more than " + count + " entries");
                }
                if (n == values.length) {
                    // bounded by the header's size: each entry took at least two bytes of it
                    values = java.util.Arrays.copyOf(values, n * 2);
                }
                values[n++] = v;
            }
            in.endArray();
            if (count >= 0 && n != count) {
                throw fail("\"" + field + "\" has " + n + " entries, not " + count);
            }
            return java.util.Arrays.copyOf(values, n);
        }

        /** The value of a plain decimal integer literal, or -1 when negative, fractional, exponential or too big. */
        private static long parseNonNegative(String literal) {
            if (literal.isEmpty() || literal.length() > 19) {
                return -1;
            }
            long v = 0;
            for (int i = 0; i < literal.length(); i++) {
                char c = literal.charAt(i);
                if (c < '0' || c > '9') {
                    return -1;
                }
                v = v * 10 + (c - '0');
                if (v < 0) {
                    return -1; // past Long.MAX_VALUE
                }
            }
            return v;
        }

        private void expect(JsonToken token, String what) throws IOException {
            JsonToken got = in.peek();
            if (got != token) {
                throw fail(what + " should be " + describe(token) + " but is " + describe(got));
            }
        }

        private static String describe(JsonToken t) {
            return switch (t) {
                case BEGIN_OBJECT -> "an object";
                case BEGIN_ARRAY -> "an array";
                case STRING -> "a string";
                case NUMBER -> "a number";
                case BOOLEAN -> "a boolean";
                case NULL -> "null";
                default -> t.toString();
            };
        }
    }
}
