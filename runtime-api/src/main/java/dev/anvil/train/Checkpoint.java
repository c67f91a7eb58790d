package dev.anvil.train;

import dev.anvil.DType;
import dev.anvil.MemoryScope;
import dev.anvil.Tensor;
import dev.anvil.io.AtomicFiles;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A simple internal file of named tensors (until the model-format issue brings safetensors packages):
 * magic {@code ANVILCK1}, a count, then for each tensor its name, dtype, shape and little-endian raw
 * values as doubles or longs. Written atomically: a temporary file in the same folder, fsync, rename.
 */
public final class Checkpoint {
    private static final String MAGIC = "ANVILCK1";
    private static final int MAX_TENSORS = 1 << 20;

    private Checkpoint() {
    }

    /** Writes {@code tensors} to {@code file} atomically. */
    public static void write(Path file, Map<String, Tensor> tensors) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        AtomicFiles.replace(file, true, ch -> {
            // not closed here: replace forces and closes the channel after the body
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16));
            out.writeUTF(MAGIC);
            out.writeInt(tensors.size());
            for (var e : tensors.entrySet()) {
                Tensor t = e.getValue();
                out.writeUTF(e.getKey());
                out.writeUTF(t.dtype().name());
                out.writeInt(t.rank());
                for (int d : t.dims()) {
                    out.writeInt(d);
                }
                if (t.dtype().isFloating()) {
                    for (double v : t.toDoubleArray()) {
                        out.writeDouble(v);
                    }
                } else {
                    for (long v : t.toLongArray()) {
                        out.writeLong(v);
                    }
                }
            }
            out.flush();
        });
    }

    /** Reads a file written by {@link #write}; tensors are allocated outside any scope. */
    public static Map<String, Tensor> read(Path file) throws IOException {
        long size = Files.size(file);
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            String magic = in.readUTF();
            if (!MAGIC.equals(magic)) {
                throw new IOException(file + ": not an Anvil checkpoint (magic '" + magic + "' at offset 0)");
            }
            int n = in.readInt();
            if (n < 0 || n > MAX_TENSORS) {
                throw new IOException(file + ": bad tensor count " + n);
            }
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                String name = in.readUTF();
                DType dtype;
                try {
                    dtype = DType.valueOf(in.readUTF());
                } catch (IllegalArgumentException e) {
                    throw new IOException(file + ": tensor '" + name + "' has an unknown dtype", e);
                }
                int rank = in.readInt();
                if (rank < 0 || rank > 16) {
                    throw new IOException(file + ": tensor '" + name + "' has rank " + rank);
                }
                int[] dims = new int[rank];
                long numel = 1;
                for (int k = 0; k < rank; k++) {
                    dims[k] = in.readInt();
                    numel *= Math.max(0, dims[k]);
                    if (dims[k] < 0 || numel * 8 > size) {
                        throw new IOException(file + ": tensor '" + name + "' shape " + java.util.Arrays.toString(dims)
                                + " is larger than the file");
                    }
                }
                Tensor t;
                if (dtype.isFloating()) {
                    double[] v = new double[(int) numel];
                    for (int k = 0; k < v.length; k++) {
                        v[k] = in.readDouble();
                    }
                    t = MemoryScope.atRoot(() -> Tensor.fromArray(v).reshape(dims).cast(dtype));
                } else {
                    long[] v = new long[(int) numel];
                    for (int k = 0; k < v.length; k++) {
                        v[k] = in.readLong();
                    }
                    t = MemoryScope.atRoot(() -> Tensor.fromArray(v).reshape(dims).cast(dtype));
                }
                out.put(name, t);
            }
            return out;
        } catch (EOFException e) {
            throw new IOException(file + ": truncated checkpoint", e);
        }
    }
}
