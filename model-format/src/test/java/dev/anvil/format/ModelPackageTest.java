package dev.anvil.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anvil.DType;
import dev.anvil.Tensor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelPackageTest {
    @TempDir
    Path tmp;

    static Map<String, Tensor> weights() {
        Map<String, Tensor> w = new LinkedHashMap<>();
        w.put("fc.weight", Tensor.fromArray(new float[] {1, 2, 3, 4, 5, 6}, DType.F32, 2, 3));
        w.put("fc.bias", Tensor.fromArray(new float[] {-1, 1}, DType.F32, 2));
        return w;
    }

    private static void assertWeights(ModelPackage p) {
        assertEquals(List.of("fc.weight", "fc.bias"), List.copyOf(p.weights().names()));
        assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6}, p.weights().tensor("fc.weight").toDoubleArray());
        assertArrayEquals(new int[] {2, 3}, p.weights().tensor("fc.weight").dims());
        assertArrayEquals(new double[] {-1, 1}, p.weights().tensor("fc.bias").toDoubleArray());
    }

    private List<String> siblings() throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Zips {@code dir}'s files under {@code prefix} (for example "mnist/" or ""). */
    static Path zip(Path dir, Path zip, String prefix) throws IOException {
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(zip))) {
            if (!prefix.isEmpty()) {
                z.putNextEntry(new ZipEntry(prefix));
                z.closeEntry();
            }
            for (String f : List.of(ModelPackage.MODEL_JSON, ModelPackage.WEIGHTS)) {
                z.putNextEntry(new ZipEntry(prefix + f));
                z.write(Files.readAllBytes(dir.resolve(f)));
                z.closeEntry();
            }
        }
        return zip;
    }

    @Test
    void roundTripsAFolderWithTheChecksumFilledIn() throws IOException {
        Path dir = tmp.resolve("out").resolve("mnist");
        ModelJson written = ModelPackage.save(dir, ModelJsonTest.sample(), weights());
        assertEquals(ModelPackage.sha256(dir.resolve(ModelPackage.WEIGHTS)), written.weightsSha256());
        assertEquals(List.of("model.json", "weights.safetensors"), List.of(dir.toFile().list()).stream().sorted().toList());
        try (ModelPackage p = ModelPackage.load(dir)) {
            assertEquals(written, p.meta());
            assertEquals(ModelJsonTest.sample().withWeightsSha256(written.weightsSha256()), p.meta());
            assertWeights(p);
        }
        try (Stream<Path> s = Files.list(dir.getParent())) {
            assertEquals(List.of(dir), s.toList(), "no temporary folder left behind");
        }
    }

    @Test
    void roundTripsAZipWithOrWithoutATopLevelFolder() throws IOException {
        Path dir = tmp.resolve("mnist");
        ModelJson written = ModelPackage.save(dir, ModelJsonTest.sample(), weights());
        for (String prefix : List.of("", "mnist/")) {
            Path z = zip(dir, tmp.resolve("m" + prefix.length() + ".zip"), prefix);
            Path extractedTo;
            try (ModelPackage p = ModelPackage.load(z)) {
                assertEquals(z, p.source());
                assertEquals(written, p.meta());
                assertWeights(p);
                extractedTo = p.weights().file();
                assertTrue(Files.exists(extractedTo));
            }
            assertFalse(Files.exists(extractedTo), "the extracted copy is deleted on close");
        }
    }

    @Test
    void replacesAnExistingPackage() throws IOException {
        Path dir = tmp.resolve("pkg");
        ModelPackage.save(dir, ModelJsonTest.sample(), weights());
        Map<String, Tensor> other = Map.of("w", Tensor.fromArray(new float[] {7}, DType.F32, 1));
        ModelPackage.save(dir, ModelJsonTest.sample(), other);
        try (ModelPackage p = ModelPackage.load(dir)) {
            assertEquals(List.of("w"), List.copyOf(p.weights().names()));
        }
        assertEquals(List.of("pkg"), siblings());
    }

    @Test
    void refusesToReplaceAFileOrAFolderThatIsNotAPackage() throws IOException {
        Path file = Files.writeString(tmp.resolve("notes.txt"), "keep me");
        assertThrows(FileAlreadyExistsException.class, () -> ModelPackage.save(file, ModelJsonTest.sample(), weights()));
        assertEquals("keep me", Files.readString(file));
        Path folder = Files.createDirectories(tmp.resolve("home"));
        Files.writeString(folder.resolve("data.csv"), "1,2");
        assertThrows(FileAlreadyExistsException.class,
                () -> ModelPackage.save(folder, ModelJsonTest.sample(), weights()));
        assertEquals("1,2", Files.readString(folder.resolve("data.csv")));
        assertEquals(List.of("home", "notes.txt"), siblings());
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        ModelPackage.save(empty, ModelJsonTest.sample(), weights());
        try (ModelPackage p = ModelPackage.load(empty)) {
            assertWeights(p);
        }
    }

    @Test
    void aChecksumMismatchNamesTheFileAndBothHashes() throws IOException {
        Path dir = tmp.resolve("pkg");
        ModelJson written = ModelPackage.save(dir, ModelJsonTest.sample(), weights());
        Path json = dir.resolve(ModelPackage.MODEL_JSON);
        String recorded = "0".repeat(64);
        Files.writeString(json, Files.readString(json).replace(written.weightsSha256(), recorded));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelPackage.load(dir));
        String m = e.getMessage();
        assertTrue(m.contains(dir.resolve(ModelPackage.WEIGHTS).toString()) && m.contains(written.weightsSha256())
                && m.contains(recorded), m);
    }

    @Test
    void aChangedWeightsFileIsCaught() throws IOException {
        Path dir = tmp.resolve("pkg");
        ModelPackage.save(dir, ModelJsonTest.sample(), weights());
        Path w = dir.resolve(ModelPackage.WEIGHTS);
        byte[] b = Files.readAllBytes(w);
        b[b.length - 1] ^= 1;
        Files.write(w, b);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelPackage.load(dir));
        assertTrue(e.getMessage().contains("SHA-256 mismatch"), e.getMessage());
    }

    @Test
    void refusesZipSlipAndAbsoluteEntriesNamingThem() throws IOException {
        for (String bad : List.of("../evil.txt", "mnist/../../evil.txt", "/etc/evil", "C:\\evil", "a\\..\\..\\x")) {
            Path z = tmp.resolve("bad.zip");
            try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(z))) {
                out.putNextEntry(new ZipEntry(bad));
                out.write("x".getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelPackage.load(z), bad);
            assertTrue(e.getMessage().contains("'" + bad + "'") && e.getMessage().contains("refused"), e.getMessage());
            assertFalse(Files.exists(tmp.getParent().resolve("evil.txt")));
            assertFalse(Files.exists(tmp.resolve("evil.txt")));
        }
    }

    @Test
    void refusesAnEntryOverTheSizeCap() throws IOException {
        Path dir = tmp.resolve("mnist");
        ModelPackage.save(dir, ModelJsonTest.sample(), weights());
        Path z = zip(dir, tmp.resolve("m.zip"), "");
        long weightsSize = Files.size(dir.resolve(ModelPackage.WEIGHTS));
        long jsonSize = Files.size(dir.resolve(ModelPackage.MODEL_JSON));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelPackage.load(z,
                Safetensors.LoadOptions.DEFAULT, Math.min(weightsSize, jsonSize) - 1));
        assertTrue(e.getMessage().contains("zip entry '") && e.getMessage().contains("-byte limit"), e.getMessage());
        try (ModelPackage p = ModelPackage.load(z, Safetensors.LoadOptions.DEFAULT, Math.max(weightsSize, jsonSize))) {
            assertWeights(p);
        }
    }

    @Test
    void aCrashWhileWritingTheWeightsLeavesNoPackage() throws IOException {
        Path dir = tmp.resolve("pkg");
        ModelPackage.WeightsWriter crashing = (file, w) -> {
            try (OutputStream o = Files.newOutputStream(file)) {
                o.write(new byte[100]); // half a file, then the crash
            }
            throw new IOException("disk on fire");
        };
        IOException e = assertThrows(IOException.class,
                () -> ModelPackage.save(dir, ModelJsonTest.sample(), weights(), crashing));
        assertEquals("disk on fire", e.getMessage());
        assertEquals(List.of(), siblings(), "neither the package nor a temporary folder is left");
    }

    @Test
    void aCrashWhileReplacingKeepsTheOldPackage() throws IOException {
        Path dir = tmp.resolve("pkg");
        ModelJson first = ModelPackage.save(dir, ModelJsonTest.sample(), weights());
        assertThrows(IllegalStateException.class, () -> ModelPackage.save(dir, ModelJsonTest.sample(), weights(),
                (file, w) -> {
                    throw new IllegalStateException("crash");
                }));
        try (ModelPackage p = ModelPackage.load(dir)) {
            assertEquals(first, p.meta());
        }
        assertEquals(List.of("pkg"), siblings());
    }

    @Test
    void missingPiecesAreNamed() throws IOException {
        assertThrows(NoSuchFileException.class, () -> ModelPackage.load(tmp.resolve("nothing")));
        Path dir = Files.createDirectory(tmp.resolve("empty"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelPackage.load(dir));
        assertTrue(e.getMessage().contains("no model.json"), e.getMessage());
        Path notZip = Files.writeString(tmp.resolve("x.zip"), "not a zip");
        e = assertThrows(ModelFormatException.class, () -> ModelPackage.load(notZip));
        assertTrue(e.getMessage().contains("zip"), e.getMessage());
    }
}
