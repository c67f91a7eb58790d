package dev.anvil.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    @Test
    void replacesTheFileWholeAndReadableByAll() throws IOException {
        Path f = dir.resolve("labels.json");
        Files.writeString(f, "old");
        AtomicFiles.replace(f, true, "new content".getBytes(StandardCharsets.UTF_8));
        assertEquals("new content", Files.readString(f));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        AtomicFiles.replace(f, false, "again".getBytes(StandardCharsets.UTF_8));
        assertEquals("again", Files.readString(f));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(1, s.count(), "no temporary file is left");
        }
    }

    @Test
    void aFailingWriteLeavesTheOldFileAndNoTemporary() throws IOException {
        Path f = dir.resolve("weights.safetensors");
        Files.writeString(f, "old");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.replace(f, true, ch -> {
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3}));
            throw new IOException("disk full");
        }));
        assertEquals("disk full", e.getMessage());
        assertEquals("old", Files.readString(f));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(1, s.count(), "the temporary file is deleted");
        }
    }
}
