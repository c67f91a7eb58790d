package dev.anvil.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anvil.DType;
import dev.anvil.Tensor;
import dev.anvil.spi.HostStorage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
    @TempDir
    Path dir;

    private static Tensor sample(DType t, int... shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = t == DType.BOOL ? i % 2 : t == DType.U8 ? 200 + i % 50 : (i % 7) - 3 + (t.isFloating() ? 0.5f : 0);
        }
        return Tensor.fromArray(v, t, shape);
    }

    @Test
    void roundTripsEveryDtypeIncludingEmptyAndScalar() throws IOException {
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (DType t : DType.values()) {
            in.put(t + "_2x3", sample(t, 2, 3));
            in.put(t + "_scalar", sample(t));
            in.put(t + "_empty", sample(t, 0, 4));
        }
        Path f = dir.resolve("all.safetensors");
        Safetensors.write(f, in, Map.of("k", "v"));
        try (SafetensorsFile r = Safetensors.open(f)) {
            assertEquals(List.copyOf(in.keySet()), List.copyOf(r.names()));
            assertEquals(Map.of("k", "v"), r.metadata());
            for (var e : in.entrySet()) {
                Tensor got = r.tensor(e.getKey());
                assertEquals(e.getValue().dtype(), got.dtype(), e.getKey());
                assertArrayEquals(e.getValue().dims(), got.dims(), e.getKey());
                assertArrayEquals(e.getValue().toDoubleArray(), got.toDoubleArray(), e.getKey());
            }
        }
    }

    @Test
    void writesTheExactHeaderLayout() throws IOException {
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("a", Tensor.fromBytes(new byte[] {1, 2, 3}, DType.U8, 3));
        in.put("b", Tensor.fromArray(new float[] {1, 2}, 2));
        Path f = dir.resolve("h.safetensors");
        Safetensors.write(f, in);
        byte[] bytes = Files.readAllBytes(f);
        String json = "{\"a\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[8,11]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        int n = (json.length() + 7) / 8 * 8;
        assertEquals(n, ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0));
        assertEquals(0, (8 + n) % 8);
        assertEquals(json + " ".repeat(n - json.length()), new String(bytes, 8, n, StandardCharsets.UTF_8));
        assertEquals(8 + n + 11, bytes.length);
        assertEquals(1.0f, ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getFloat(8 + n));
        assertEquals(3, bytes[8 + n + 10]);
    }

    @Test
    void alignedTensorsAreViewsOfTheMappingAndDieWithTheHandle() throws IOException {
        Path f = dir.resolve("v.safetensors");
        Safetensors.write(f, Map.of("w", Tensor.fromArray(new float[] {1, 2, 3, 4}, 2, 2)));
        Tensor w;
        try (SafetensorsFile r = Safetensors.open(f)) {
            w = r.tensor("w");
            HostStorage s = assertInstanceOf(HostStorage.class, w.storage());
            assertTrue(s.segment().isMapped());
            assertTrue(s.segment().isReadOnly());
            assertEquals(10.0, w.sum().item(), 0);
        }
        assertFalse(w.isAlive());
        IllegalStateException e = assertThrows(IllegalStateException.class, w::toFloatArray);
        assertTrue(e.getMessage().contains("v.safetensors"), e.getMessage());
    }

    @Test
    void misalignedTensorsFromOtherWritersAreCopied() throws IOException {
        // U8[3] first puts the F32 at data offset 3: not a multiple of 4
        String json = "{\"a\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[0,3]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[3,7]}}";
        ByteBuffer data = ByteBuffer.allocate(7).order(ByteOrder.LITTLE_ENDIAN).put(new byte[] {9, 8, 7}).putFloat(2.5f);
        Path f = SafetensorsValidationTest.file(dir, "m.safetensors", json, data.array());
        try (SafetensorsFile r = Safetensors.open(f)) {
            Tensor b = r.tensor("b");
            assertFalse(((HostStorage) b.storage()).segment().isMapped());
            assertArrayEquals(new float[] {2.5f}, b.toFloatArray());
            assertArrayEquals(new long[] {9, 8, 7}, r.tensor("a").toLongArray());
        }
    }

    @Test
    void convertsHalfTypesToF32WhenAsked() throws IOException {
        Path f = dir.resolve("half.safetensors");
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("h", Tensor.fromArray(new float[] {0.5f, -1.25f}, DType.F16, 2));
        in.put("b", Tensor.fromArray(new float[] {3f, 0.25f}, DType.BF16, 2));
        Safetensors.write(f, in);
        try (SafetensorsFile r = Safetensors.open(f, Safetensors.LoadOptions.DEFAULT.withHalfToF32(true))) {
            assertEquals(DType.F32, r.tensor("h").dtype());
            assertEquals(DType.F16, r.dtype("h"));
            assertArrayEquals(new float[] {0.5f, -1.25f}, r.tensor("h").toFloatArray());
            assertArrayEquals(new float[] {3f, 0.25f}, r.tensor("b").toFloatArray());
        }
    }

    @Test
    void writesNonContiguousTensorsInRowMajorOrder() throws IOException {
        Tensor t = Tensor.fromArray(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).transpose(0, 1);
        Path f = dir.resolve("t.safetensors");
        Safetensors.write(f, Map.of("t", t));
        try (SafetensorsFile r = Safetensors.open(f)) {
            assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, r.tensor("t").toFloatArray());
        }
    }

    @Test
    void replacesAnExistingFileAndLeavesNoTemporaryFiles() throws IOException {
        Path f = dir.resolve("r.safetensors");
        Safetensors.write(f, Map.of("x", Tensor.fromArray(new float[] {1})));
        Safetensors.write(f, Map.of("y", Tensor.fromArray(new float[] {2})));
        try (SafetensorsFile r = Safetensors.open(f)) {
            assertEquals(List.of("y"), List.copyOf(r.names()));
        }
        try (var files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList());
        }
    }

    @Test
    void pageCacheWritesAreTheSameBytesAndAsAtomic() throws IOException {
        Map<String, Tensor> in = new java.util.LinkedHashMap<>();
        in.put("w", sample(DType.F32, 3, 5));
        in.put("ids", sample(DType.I64, 4));
        Path durable = dir.resolve("durable.safetensors");
        Path cached = dir.resolve("cached.safetensors");
        Safetensors.write(durable, in, Map.of("k", "v"), Safetensors.Durability.DURABLE);
        Safetensors.write(cached, in, Map.of("k", "v"), Safetensors.Durability.PAGE_CACHE);
        assertArrayEquals(Files.readAllBytes(durable), Files.readAllBytes(cached));
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void readsTheGoldenFileExactlyAndWritesItBackByteForByte() throws IOException {
        byte[] golden;
        try (InputStream in = SafetensorsTest.class.getResourceAsStream("golden.safetensors")) {
            golden = in.readAllBytes();
        }
        Path f = dir.resolve("golden.safetensors");
        Files.write(f, golden);
        Map<String, Tensor> again = new LinkedHashMap<>();
        try (SafetensorsFile r = Safetensors.open(f)) {
            assertEquals(List.of("bias", "ids", "mask"), List.copyOf(r.names()));
            assertEquals(Map.of("format", "anvil"), r.metadata());
            assertEquals(DType.F32, r.dtype("bias"));
            assertArrayEquals(new float[] {1.5f, -2.0f}, r.tensor("bias").toFloatArray());
            assertEquals(DType.I64, r.dtype("ids"));
            assertEquals(0, r.tensor("ids").rank());
            assertEquals(7, r.tensor("ids").itemLong());
            assertEquals(DType.BOOL, r.dtype("mask"));
            assertArrayEquals(new boolean[] {true, false, true}, r.tensor("mask").toBooleanArray());
            assertEquals(216, r.offset("ids"));
            assertEquals(224, r.offset("bias"));
            again.put("bias", r.tensor("bias").copy());
            again.put("ids", r.tensor("ids").copy());
            again.put("mask", r.tensor("mask").copy());
        }
        Path out = dir.resolve("again.safetensors");
        Safetensors.write(out, again, Map.of("format", "anvil"));
        assertArrayEquals(golden, Files.readAllBytes(out));
    }
}
