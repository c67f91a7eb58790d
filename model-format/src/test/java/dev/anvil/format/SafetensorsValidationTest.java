package dev.anvil.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.anvil.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One hand-made bad file per rule of the reader, then random mutations of a good one. */
class SafetensorsValidationTest {
    @TempDir
    Path dir;

    /** A file whose header is exactly {@code json} (no padding) followed by {@code data}. */
    static Path file(Path dir, String name, String json, byte[] data) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        return raw(dir, name, h.length, h, data);
    }

    static Path raw(Path dir, String name, long n, byte[] header, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(n).put(header).put(data);
        Path f = dir.resolve(name);
        Files.write(f, b.array());
        return f;
    }

    private static String f32(String name, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"F32\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + "," + end + "]}";
    }

    private ModelFormatException rejects(Path f, String... mentions) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Safetensors.open(f).close());
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("byte offset "), e.getMessage());
        for (String m : mentions) {
            assertTrue(e.getMessage().contains(m), "'" + m + "' missing from: " + e.getMessage());
        }
        return e;
    }

    @Test
    void rejectsFilesShorterThanTheLengthPrefix() throws IOException {
        Path f = dir.resolve("short.safetensors");
        Files.write(f, new byte[] {1, 0, 0});
        rejects(f, "3 bytes");
    }

    @Test
    void rejectsHeaderLengthOverTheLimit() throws IOException {
        rejects(raw(dir, "huge.safetensors", 100_000_001L, new byte[0], new byte[0]), "100000001", "limit");
        rejects(raw(dir, "neg.safetensors", -1L, new byte[0], new byte[0]), "18446744073709551615");
    }

    @Test
    void rejectsHeaderPastTheEndOfTheFile() throws IOException {
        rejects(raw(dir, "past.safetensors", 64, "{}".getBytes(StandardCharsets.UTF_8), new byte[0]), "only 10 bytes");
    }

    @Test
    void rejectsHeadersThatAreNotUtf8() throws IOException {
        rejects(raw(dir, "utf.safetensors", 4, new byte[] {'{', (byte) 0xC3, 0x28, '}'}, new byte[0]), "UTF-8");
    }

    @Test
    void rejectsHeadersThatAreNotJsonOfTheExpectedShape() throws IOException {
        rejects(file(dir, "notjson.safetensors", "{\"a\":", new byte[0]), "not JSON");
        rejects(file(dir, "array.safetensors", "[]", new byte[0]), "should be an object");
        rejects(file(dir, "scalar.safetensors", "{\"a\":3}", new byte[0]), "tensor 'a'", "should be an object");
        rejects(file(dir, "meta.safetensors", "{\"__metadata__\":{\"k\":1}}", new byte[0]), "metadata value 'k'");
        rejects(file(dir, "missing.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[]}}", new byte[0]),
                "tensor 'a'", "data_offsets");
        rejects(file(dir, "trailing.safetensors", "{} {}", new byte[0]), "not JSON");
    }

    @Test
    void rejectsUnknownDtypes() throws IOException {
        String json = "{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}";
        ModelFormatException e = rejects(file(dir, "dtype.safetensors", json, new byte[1]), "tensor 'a'", "F8_E4M3");
        assertEquals(8 + 1, e.offset()); // where "a" is named in the header
    }

    @Test
    void rejectsNegativeOrNonIntegerShapes() throws IOException {
        rejects(file(dir, "neg.safetensors", "{" + f32("a", "[-1]", 0, 4) + "}", new byte[4]), "tensor 'a'", "-1");
        rejects(file(dir, "frac.safetensors", "{" + f32("a", "[1.0]", 0, 4) + "}", new byte[4]), "tensor 'a'", "1.0");
        rejects(file(dir, "str.safetensors", "{" + f32("a", "[\"1\"]", 0, 4) + "}", new byte[4]), "tensor 'a'");
    }

    @Test
    void rejectsGapsOverlapsAndOffsetsEndingBeforeTheyBegin() throws IOException {
        String gapJson = "{" + f32("a", "[1]", 0, 4) + "," + f32("b", "[1]", 8, 12) + "}";
        ModelFormatException gap = rejects(file(dir, "gap.safetensors", gapJson, new byte[12]), "tensor 'b'", "gap");
        assertEquals(8 + headerLen(gapJson) + 4, gap.offset()); // where the gap begins
        rejects(file(dir, "overlap.safetensors",
                "{" + f32("a", "[2]", 0, 8) + "," + f32("b", "[1]", 4, 8) + "}", new byte[8]), "tensor 'b'", "overlap");
        rejects(file(dir, "notzero.safetensors", "{" + f32("a", "[1]", 4, 8) + "}", new byte[8]), "tensor 'a'", "gap");
        rejects(file(dir, "backwards.safetensors", "{" + f32("a", "[1]", 0, 4) + "," + f32("b", "[0]", 4, 0) + "}",
                new byte[4]), "tensor 'b'", "end before");
    }

    private static long headerLen(String json) {
        return json.getBytes(StandardCharsets.UTF_8).length;
    }

    @Test
    void rejectsShapesThatDoNotMatchTheByteLength() throws IOException {
        rejects(file(dir, "size.safetensors", "{" + f32("a", "[3]", 0, 8) + "}", new byte[8]),
                "tensor 'a'", "needs 12 bytes", "hold 8");
        String big = "[2147483647,2147483647,2147483647]";
        rejects(file(dir, "overflow.safetensors", "{" + f32("a", big, 0, 4) + "}", new byte[4]), "tensor 'a'", "overflow");
    }

    @Test
    void rejectsBytesLeftOverAfterTheLastTensor() throws IOException {
        String json = "{" + f32("a", "[1]", 0, 4) + "}";
        ModelFormatException e = rejects(file(dir, "left.safetensors", json, new byte[6]), "2 bytes are left over");
        assertEquals(8 + headerLen(json) + 4, e.offset());
    }

    @Test
    void rejectsDuplicateNames() throws IOException {
        String json = "{" + f32("a", "[1]", 0, 4) + "," + f32("a", "[1]", 4, 8) + "}";
        rejects(file(dir, "dup.safetensors", json, new byte[8]), "tensor 'a'", "twice");
    }

    @Test
    void randomMutationsOfAGoodFileOnlyEverRaiseModelFormatException() throws IOException {
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("w", Tensor.fromArray(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
        in.put("ids", Tensor.fromArray(new long[] {1, 2}, 2));
        in.put("m", Tensor.fromBytes(new byte[] {1, 0, 1}, dev.anvil.DType.BOOL, 3));
        Path good = dir.resolve("good.safetensors");
        Safetensors.write(good, in, Map.of("k", "v"));
        byte[] original = Files.readAllBytes(good);
        SplittableRandom rng = new SplittableRandom(20240601L);
        Path f = dir.resolve("mutant.safetensors");
        int accepted = 0;
        for (int i = 0; i < 2000; i++) {
            byte[] b = mutate(original, rng);
            Files.write(f, b);
            try (SafetensorsFile r = Safetensors.open(f)) {
                for (String n : r.names()) {
                    r.tensor(n).toDoubleArray();
                }
                accepted++;
            } catch (ModelFormatException expected) {
                // the only exception allowed
            } catch (RuntimeException | IOException | Error e) {
                fail("mutation " + i + " raised " + e, e);
            }
        }
        assertTrue(accepted > 0 && accepted < 2000, "accepted " + accepted);
    }

    private static byte[] mutate(byte[] original, SplittableRandom rng) {
        byte[] b = original.clone();
        switch (rng.nextInt(5)) {
            case 0 -> b[rng.nextInt(b.length)] = (byte) rng.nextInt(256);
            case 1 -> { // a digit or structural character in the header
                int at = 8 + rng.nextInt((int) Math.min(b.length - 8, ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0)));
                b[at] = (byte) "0123456789-.,:[]{}\"eE ".charAt(rng.nextInt(22));
            }
            case 2 -> b = java.util.Arrays.copyOf(b, rng.nextInt(b.length + 16));
            case 3 -> b[rng.nextInt(8)] = (byte) rng.nextInt(256);
            default -> {
                for (int k = 0; k < 4; k++) {
                    b[rng.nextInt(b.length)] ^= (byte) (1 << rng.nextInt(8));
                }
            }
        }
        return b;
    }
}
