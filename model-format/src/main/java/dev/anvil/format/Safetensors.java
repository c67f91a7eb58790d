package dev.anvil.format;

import com.google.gson.stream.JsonWriter;
import dev.anvil.Backends;
import dev.anvil.BackendStatus;
import dev.anvil.DType;
import dev.anvil.Tensor;
import dev.anvil.io.AtomicFiles;
import dev.anvil.spi.Backend;
import dev.anvil.spi.HostStorage;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the <a href="https://github.com/huggingface/safetensors">safetensors</a> format exactly:
 * an 8-byte little-endian header length N, N bytes of UTF-8 JSON naming each tensor's dtype, shape and
 * {@code data_offsets} (relative to the first byte after the header) plus an optional {@code __metadata__}
 * object of strings, then the tensors' bytes, contiguous, little-endian, row-major.
 *
 * <pre>{@code
 * Safetensors.write(path, Map.of("w", w, "b", b), Map.of("format", "pt"));
 * try (SafetensorsFile f = Safetensors.open(path)) {
 *     Tensor w = f.tensor("w");          // a view of the mapped file, no copy
 * }
 * }</pre>
 */
public final class Safetensors {
    private Safetensors() {
    }

    /** How tensors are made from the mapped file. */
    public record LoadOptions(boolean halfToF32, Backend backend) {
        /** Host views of the mapping, half types kept as they are. */
        public static final LoadOptions DEFAULT = new LoadOptions(false, null);

        /** Same options, converting F16 and BF16 tensors to F32 (a copy) when {@code on}. */
        public LoadOptions withHalfToF32(boolean on) {
            return new LoadOptions(on, backend);
        }

        /** Same options, copying every tensor once from the mapping onto {@code target} unless it is a host backend. */
        public LoadOptions withBackend(Backend target) {
            return new LoadOptions(halfToF32, target);
        }
    }

    /** {@link #open(Path, LoadOptions)} with {@link LoadOptions#DEFAULT}. */
    public static SafetensorsFile open(Path file) throws IOException {
        return open(file, LoadOptions.DEFAULT);
    }

    /**
     * Maps {@code file} read-only and validates its header before using any offset in it. The returned handle
     * owns the mapping: tensors it hands out that are views of the mapping die when it is closed.
     *
     * @throws ModelFormatException when the file breaks a rule of the format (the message names file, tensor
     *         and byte offset)
     * @throws IOException when the file cannot be read
     */
    public static SafetensorsFile open(Path file, LoadOptions options) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new ModelFormatException(file, null, 0, "the file has " + size
                        + " bytes, fewer than the 8 of the header length");
            }
            MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long n = SafetensorsHeader.headerLength(file, size,
                    mapped.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0));
            byte[] header = mapped.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE); // n <= size, checked above
            SafetensorsHeader parsed = SafetensorsHeader.parse(file, header, size);
            return new SafetensorsFile(file, arena, mapped, parsed, options, hostBackend());
        } catch (RuntimeException | IOException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * The host backend that views of the mapping belong to: the current one when it is a host backend, else
     * cpu-vector when available, else the reference backend.
     */
    static Backend hostBackend() {
        Backend current = Backends.current();
        if (current.isHost()) {
            return current;
        }
        for (BackendStatus s : Backends.statuses()) {
            if (s.available() && s.name().equals("cpu-vector")) {
                return Backends.get("cpu-vector");
            }
        }
        return Backends.get("reference");
    }

    /** {@link #write(Path, Map, Map)} without metadata. */
    public static void write(Path file, Map<String, Tensor> tensors) throws IOException {
        write(file, tensors, Map.of());
    }

    /**
     * Writes {@code tensors} (in the map's iteration order in the header) and {@code metadata} to {@code file},
     * atomically: into a temporary file in the same folder, forced to disk, then renamed over {@code file}.
     * The data section is laid out widest dtype first, so that with the header padded to 8 bytes every tensor
     * starts at a multiple of its element size and loads as a view without a copy.
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        write(file, tensors, metadata, Durability.DURABLE);
    }

    /** Whether {@link #write(Path, Map, Map, Durability)} waits for the disk. */
    public enum Durability {
        /** Forced to disk before the rename: after a crash the file is the old one or the new one, whole. */
        DURABLE,
        /**
         * Left in the page cache for the kernel to write back: still atomic for every reader (the rename is),
         * but a power cut soon after may lose the new file. For scratch files and frequent interim saves.
         */
        PAGE_CACHE
    }

    /**
     * As {@link #write(Path, Map, Map)}, with the fsync before the rename done or skipped as {@code durability}
     * says.
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata, Durability durability)
            throws IOException {
        java.util.Objects.requireNonNull(durability, "durability");
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new UnsupportedOperationException("safetensors: writing from a big-endian host is not supported");
        }
        List<Map.Entry<String, Tensor>> byData = new ArrayList<>(tensors.entrySet());
        for (var e : byData) {
            if (e.getKey().equals(SafetensorsHeader.METADATA)) {
                throw new IllegalArgumentException("safetensors: a tensor may not be named \"__metadata__\"");
            }
        }
        byData.sort(Comparator.comparingInt((Map.Entry<String, Tensor> e) -> -e.getValue().dtype().byteSize()));
        Map<String, long[]> offsets = new java.util.HashMap<>();
        long at = 0;
        for (var e : byData) {
            long bytes = Math.multiplyExact(e.getValue().numel(), e.getValue().dtype().byteSize());
            offsets.put(e.getKey(), new long[] {at, at + bytes});
            at += bytes;
        }
        byte[] header = header(tensors, metadata, offsets);

        AtomicFiles.replace(file, durability == Durability.DURABLE, ch -> {
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
            writeFully(ch, prefix);
            writeFully(ch, ByteBuffer.wrap(header));
            for (var e : byData) {
                writeTensor(ch, e.getValue());
            }
        });
    }

    /** The header JSON, compact, padded with spaces to a multiple of 8 bytes. */
    static byte[] header(Map<String, Tensor> tensors, Map<String, String> metadata, Map<String, long[]> offsets) {
        StringWriter text = new StringWriter();
        try (JsonWriter w = new JsonWriter(text)) {
            w.setHtmlSafe(false);
            w.beginObject();
            if (!metadata.isEmpty()) {
                w.name(SafetensorsHeader.METADATA).beginObject();
                for (var m : metadata.entrySet()) {
                    w.name(m.getKey()).value(m.getValue());
                }
                w.endObject();
            }
            for (var e : tensors.entrySet()) {
                Tensor t = e.getValue();
                w.name(e.getKey()).beginObject();
                w.name("dtype").value(SafetensorsHeader.nameOf(t.dtype()));
                w.name("shape").beginArray();
                for (int d : t.dims()) {
                    w.value(d);
                }
                w.endArray();
                long[] o = offsets.get(e.getKey());
                w.name("data_offsets").beginArray().value(o[0]).value(o[1]).endArray();
                w.endObject();
            }
            w.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        byte[] json = text.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) & ~7;
        byte[] out = java.util.Arrays.copyOf(json, padded);
        java.util.Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    /** Streams one tensor's bytes: straight from host memory, or through one staging copy from a device. */
    private static void writeTensor(FileChannel ch, Tensor t) throws IOException {
        long bytes = t.numel() * t.dtype().byteSize();
        if (bytes == 0) {
            return;
        }
        Tensor c = t.contiguous();
        if (c.storage() instanceof HostStorage h) {
            long from = c.layout().offset() * c.dtype().byteSize();
            writeSegment(ch, h.segment().asSlice(from, bytes));
        } else {
            try (Arena staging = Arena.ofConfined()) {
                MemorySegment host = staging.allocate(bytes, 64);
                c.backend().copyToHost(c.view(), host);
                writeSegment(ch, host);
            }
        }
    }

    private static void writeSegment(FileChannel ch, MemorySegment s) throws IOException {
        final long chunk = 1L << 30; // a ByteBuffer holds at most 2 GiB
        for (long at = 0; at < s.byteSize(); at += chunk) {
            writeFully(ch, s.asSlice(at, Math.min(chunk, s.byteSize() - at)).asByteBuffer());
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
