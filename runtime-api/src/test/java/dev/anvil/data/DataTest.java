package dev.anvil.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anvil.Backends;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataTest {
    @TempDir
    Path dir;

    private static byte[] idx(int type, int[] dims, int payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(0);
        out.write(type);
        out.write(dims.length);
        for (int d : dims) {
            out.write(d >>> 24);
            out.write(d >>> 16);
            out.write(d >>> 8);
            out.write(d);
        }
        for (int i = 0; i < payload; i++) {
            out.write(i % 10);
        }
        return out.toByteArray();
    }

    @Test
    void readsPlainAndGzippedIdx() throws IOException {
        byte[] raw = idx(8, new int[] {3, 2, 2}, 12);
        Path plain = Files.write(dir.resolve("a.idx"), raw);
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(gz)) {
            z.write(raw);
        }
        Path zipped = Files.write(dir.resolve("a.idx.gz"), gz.toByteArray());
        for (Path p : List.of(plain, zipped)) {
            Idx.Data d = Idx.read(p);
            assertArrayEquals(new int[] {3, 2, 2}, d.dims());
            assertEquals(9, d.unsigned(9));
        }
    }

    @Test
    void rejectsBadMagicTruncationAndOtherTypesNamingFileAndOffset() throws IOException {
        Path bad = Files.write(dir.resolve("bad.idx"), new byte[] {1, 2, 8, 1, 0, 0, 0, 1, 5});
        var e = assertThrows(DataFileException.class, () -> Idx.read(bad));
        assertTrue(e.getMessage().contains("bad.idx") && e.getMessage().contains("magic") && e.getMessage().contains("offset 0"),
                e.getMessage());
        Path truncated = Files.write(dir.resolve("short.idx"), idx(8, new int[] {100, 28, 28}, 1000));
        e = assertThrows(DataFileException.class, () -> Idx.read(truncated));
        assertTrue(e.getMessage().contains("short.idx") && e.getMessage().contains("truncated")
                && e.getMessage().contains("offset 1016"), e.getMessage());
        Path floats = Files.write(dir.resolve("f.idx"), idx(0x0D, new int[] {1}, 4));
        assertTrue(assertThrows(DataFileException.class, () -> Idx.read(floats)).getMessage().contains("0x0d"));
        Path header = Files.write(dir.resolve("h.idx"), new byte[] {0, 0, 8, 3, 0, 0});
        assertTrue(assertThrows(DataFileException.class, () -> Idx.read(header)).getMessage().contains("truncated at offset 6"));
        Path huge = Files.write(dir.resolve("huge.idx"), idx(8, new int[] {60000, 60000}, 10));
        assertThrows(DataFileException.class, () -> Idx.read(huge), "a lying header is rejected without allocating 3.6 GB");
    }

    @Test
    void readsCsvAndNamesTheLineOfBadRows() throws IOException {
        Path ok = Files.writeString(dir.resolve("ok.csv"), "a,b,label\n1,2,0\n3.5,-4,2\n\n");
        ArrayDataset d = Csv.read(ok, "label");
        assertEquals(2, d.size());
        assertEquals(3, d.classes());
        float[] f = new float[2];
        d.features(1, f, 0);
        assertArrayEquals(new float[] {3.5f, -4}, f);
        Path missing = Files.writeString(dir.resolve("missing.csv"), "a,b,label\n1,2,0\n3,1\n");
        var e = assertThrows(DataFileException.class, () -> Csv.read(missing, null));
        assertTrue(e.getMessage().contains("missing.csv:3") && e.getMessage().contains("missing column"), e.getMessage());
        Path text = Files.writeString(dir.resolve("text.csv"), "1,2,0\n1,x,0\n");
        assertTrue(assertThrows(DataFileException.class, () -> Csv.read(text, null)).getMessage().contains("text.csv:2"));
        assertThrows(DataFileException.class, () -> Csv.read(ok, "nosuch"));
    }

    @Test
    void loaderBatchesShufflesWithASeedAndDropsLast() {
        try (var u = Backends.use("reference")) {
            float[] x = new float[10 * 2];
            int[] y = new int[10];
            for (int i = 0; i < 10; i++) {
                x[2 * i] = i;
                y[i] = i % 3;
            }
            ArrayDataset d = new ArrayDataset(x, y, new int[] {2}, 3);
            DataLoader plain = new DataLoader(d, 4);
            assertEquals(3, plain.batches());
            List<Batch> batches = new ArrayList<>();
            plain.epoch(0).forEach(batches::add);
            assertEquals(2, batches.get(2).size());
            assertArrayEquals(new long[] {0, 1, 2, 0}, batches.get(0).y().toLongArray());
            DataLoader shuffled = new DataLoader(d, 4).shuffle(7).dropLast(true);
            assertEquals(2, shuffled.batches());
            assertArrayEquals(shuffled.order(3), new DataLoader(d, 4).shuffle(7).order(3));
            assertNotEquals(java.util.Arrays.toString(shuffled.order(0)), java.util.Arrays.toString(shuffled.order(1)));
            List<Long> seen = new ArrayList<>();
            for (Batch b : new DataLoader(d, 3).shuffle(1).prefetch(true).epoch(0)) {
                for (float v : b.x().select(1, 0).toFloatArray()) {
                    seen.add((long) v);
                }
            }
            assertEquals(10, seen.stream().distinct().count());
        }
    }

    @Test
    void embeddedFashionMnistSubsetIsStratified() {
        FashionMnist.Split s = FashionMnist.embedded();
        assertEquals(6000, s.train().size());
        assertEquals(1000, s.test().size());
        assertArrayEquals(new int[] {1, 28, 28}, s.train().featureShape());
        int[] counts = new int[10];
        for (int i = 0; i < s.test().size(); i++) {
            counts[s.test().label(i)]++;
        }
        assertArrayEquals(new int[] {100, 100, 100, 100, 100, 100, 100, 100, 100, 100}, counts);
        float[] f = new float[784];
        s.train().features(0, f, 0);
        for (float v : f) {
            assertTrue(v >= 0 && v <= 1);
        }
    }
}
