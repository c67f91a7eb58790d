package dev.anvil.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Files replaced whole or not at all: the new content goes to a temporary file beside the target, is forced to
 * disk when asked, and is renamed over the target, so a reader sees the old file or the new one and a crash
 * leaves no half-written file. Every file Anvil writes for keeps (weights, checkpoints, labels, reports) goes
 * through here.
 *
 * <pre>{@code
 * AtomicFiles.replace(Path.of("models/mlp/labels.json"), true, ch -> ch.write(ByteBuffer.wrap(bytes)));
 * }</pre>
 */
public final class AtomicFiles {
    /** Writes the new content into the temporary file's channel (which {@link #replace} closes). */
    @FunctionalInterface
    public interface Body {
        void write(FileChannel ch) throws IOException;
    }

    private AtomicFiles() {
    }

    /**
     * Replaces {@code file} (whose folder must exist) with what {@code body} writes; with {@code durable}
     * the data is forced to disk before the rename (fsync), else it may sit in the page cache. The new file is
     * readable by everyone and writable by its owner (rw-r--r--) where the file system has POSIX permissions,
     * like a file written plainly: a temporary file starts private. On failure the target is untouched and the
     * temporary file is gone.
     */
    public static void replace(Path file, boolean durable, Body body) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                body.write(ch);
                if (durable) {
                    ch.force(true);
                }
            }
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: the folder's defaults apply
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp); // gone already after the rename
        }
    }

    /** {@link #replace} with all of {@code bytes}. */
    public static void replace(Path file, boolean durable, byte[] bytes) throws IOException {
        replace(file, durable, ch -> {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        });
    }
}
