package dev.anvil.format;

import dev.anvil.DType;
import dev.anvil.Shape;
import dev.anvil.Tensor;
import dev.anvil.spi.Backend;
import dev.anvil.spi.HostStorage;
import dev.anvil.spi.Layout;
import java.io.Closeable;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An open, validated safetensors file, memory-mapped read-only into a shared arena that this handle owns.
 *
 * <p>Tensors are made on first request. On a host backend a tensor whose bytes start at a multiple of its
 * element size in memory is a read-only view of the mapping (no copy); others are copied once, into the
 * current {@link dev.anvil.MemoryScope}: misaligned data (files from writers that do not align tensors),
 * F16/BF16 converted to F32 when asked, and tensors for a device backend. Closing the handle releases the
 * views (a later use is an {@link IllegalStateException} naming this file) and unmaps the file; copies live on.
 * A handle may be used from several threads.
 */
public final class SafetensorsFile implements Closeable {
    private final Path file;
    private final Arena arena;
    private final MemorySegment mapped;
    private final SafetensorsHeader header;
    private final Safetensors.LoadOptions options;
    private final Backend host;
    private final Map<String, SafetensorsHeader.Entry> byName = new LinkedHashMap<>();
    private final Map<String, Tensor> made = new LinkedHashMap<>();
    private final List<HostStorage> views = new ArrayList<>();
    private boolean closed;

    SafetensorsFile(Path file, Arena arena, MemorySegment mapped, SafetensorsHeader header,
            Safetensors.LoadOptions options, Backend host) {
        this.file = file;
        this.arena = arena;
        this.mapped = mapped;
        this.header = header;
        this.options = options;
        this.host = host;
        for (SafetensorsHeader.Entry e : header.entries()) {
            byName.put(e.name(), e);
        }
    }

    /** The file this handle maps. */
    public Path file() {
        return file;
    }

    /** Tensor names in header order. */
    public Set<String> names() {
        return java.util.Collections.unmodifiableSet(byName.keySet());
    }

    /** The {@code __metadata__} strings (empty when the file has none). */
    public Map<String, String> metadata() {
        return header.metadata();
    }

    /** The dtype recorded in the file for {@code name} (before any conversion to F32). */
    public DType dtype(String name) {
        return entry(name).dtype();
    }

    /** The shape recorded in the file for {@code name}. */
    public Shape shape(String name) {
        return Shape.of(entry(name).shape());
    }

    /** Absolute byte offset of {@code name}'s first byte in the file. */
    public long offset(String name) {
        return header.dataStart() + entry(name).begin();
    }

    /** The tensor {@code name}; the same object on every call. */
    public synchronized Tensor tensor(String name) {
        if (closed) {
            throw new IllegalStateException(file + " is closed");
        }
        Tensor t = made.get(name);
        if (t == null) {
            t = make(entry(name));
            made.put(name, t);
        }
        return t;
    }

    /** Every tensor, in header order. */
    public Map<String, Tensor> tensors() {
        Map<String, Tensor> all = new LinkedHashMap<>();
        for (String n : byName.keySet()) {
            all.put(n, tensor(n));
        }
        return all;
    }

    private SafetensorsHeader.Entry entry(String name) {
        SafetensorsHeader.Entry e = byName.get(name);
        if (e == null) {
            throw new IllegalArgumentException(file + " has no tensor '" + name + "'; it has " + byName.keySet());
        }
        return e;
    }

    private Tensor make(SafetensorsHeader.Entry e) {
        MemorySegment bytes = mapped.asSlice(header.dataStart() + e.begin(), e.byteLength());
        int[] shape = e.shape();
        Backend target = options.backend() == null || options.backend().isHost() ? host : options.backend();
        boolean aligned = bytes.address() % e.dtype().byteSize() == 0;
        Tensor t;
        if (target.isHost() && aligned) {
            HostStorage storage = new HostStorage(target, bytes, () -> { }); // the arena unmaps, not the storage
            views.add(storage);
            t = new Tensor(storage, e.dtype(), Layout.contiguous(shape));
        } else {
            // one copy: kernels read elements with aligned accesses, and device memory cannot alias the file
            t = Tensor.full(Shape.of(shape), e.dtype(), 0, target);
            if (e.byteLength() > 0) {
                target.copyFromHost(bytes, t.view());
            }
        }
        if (options.halfToF32() && e.dtype().isHalf()) {
            t = t.cast(DType.F32);
        }
        return t;
    }

    /** Releases the views of the mapping and unmaps the file. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (HostStorage s : views) {
            s.release("safetensors file " + file + " was closed");
        }
        arena.close();
    }
}
