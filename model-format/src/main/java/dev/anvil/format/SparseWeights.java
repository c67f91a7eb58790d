package dev.anvil.format;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.anvil.DType;
import dev.anvil.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Sparse storage of pruned weights inside an ordinary safetensors file, so that a package shrinks with its
 * sparsity and every safetensors reader can still open it.
 *
 * <p>Each F32 tensor {@code W} is stored in whichever of three layouts takes the fewest bytes:
 * <ul>
 *   <li>dense: {@code W} as usual (4 bytes per element);</li>
 *   <li>bitmask: {@code W.mask}, U8 {@code [ceil(n / 8)]}, bit {@code i % 8} (least significant first) of byte
 *       {@code i / 8} set when element {@code i} (row-major) is non-zero, unused bits of the last byte zero; and
 *       {@code W.values}, F32 {@code [nnz]}, the non-zero elements in row-major order. {@code n/8 + 4 nnz} bytes;</li>
 *   <li>CSR over {@code W} seen as {@code [rows = shape[0], cols = n / rows]}: {@code W.indptr}, I32
 *       {@code [rows + 1]} (row {@code r}'s entries are {@code indptr[r]..indptr[r+1]}), {@code W.indices}, I16
 *       when {@code cols <= 32767} else I32, {@code [nnz]}, the column of each entry, ascending within a row; and
 *       {@code W.values}, F32 {@code [nnz]}. Smallest above about 94% sparsity.</li>
 * </ul>
 * The file's {@code __metadata__} entry {@value #METADATA_KEY} holds a JSON object naming each sparse tensor with
 * its layout and dense shape, e.g. {@code {"0.weight": {"layout": "bitmask", "shape": [256, 784]}}}. Zeros are
 * stored as +0 (a -0 comes back as +0). Files without the entry are plain dense safetensors.
 *
 * <pre>{@code
 * SparseWeights.write(path, model.stateDict());                       // sparse where that is smaller
 * try (SafetensorsFile f = Safetensors.open(path)) {
 *     model.loadStateDict(SparseWeights.decode(f));                     // dense tensors again
 * }
 * }</pre>
 */
public final class SparseWeights {
    /** The {@code __metadata__} key that lists the sparse tensors. */
    public static final String METADATA_KEY = "anvil.sparse";
    /** Largest ratio of decoded to stored bytes a CSR tensor may have (99.9% sparsity is about 500). */
    static final long MAX_EXPANSION = 4096;

    /** How one tensor is stored. */
    public enum Layout {
        DENSE, BITMASK, CSR
    }

    /** Tensors and metadata ready for {@link Safetensors#write(Path, Map, Map)}. */
    public record Encoded(Map<String, Tensor> tensors, Map<String, String> metadata) {
    }

    private SparseWeights() {
    }

    /** Encodes {@code weights} and writes them atomically to {@code file} as safetensors. */
    public static void write(Path file, Map<String, Tensor> weights) throws IOException {
        Encoded e = encode(weights);
        Safetensors.write(file, e.tensors(), e.metadata());
    }

    /** The smallest layout for {@code n} elements of which {@code nnz} are non-zero, in {@code rows} rows. */
    public static Layout choose(long n, long nnz, long rows) {
        long dense = 4 * n;
        long bitmask = (n + 7) / 8 + 4 * nnz;
        long cols = rows == 0 ? 0 : n / rows;
        long csr = 4 * (rows + 1) + (cols <= Short.MAX_VALUE ? 2 : 4) * nnz + 4 * nnz;
        if (dense <= bitmask && dense <= csr) {
            return Layout.DENSE;
        }
        return bitmask <= csr ? Layout.BITMASK : Layout.CSR;
    }

    /** Each F32 tensor in the layout that takes the fewest bytes; others as they are. Order is kept. */
    public static Encoded encode(Map<String, Tensor> weights) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        JsonObject index = new JsonObject();
        for (var e : weights.entrySet()) {
            String name = e.getKey();
            Tensor t = e.getValue();
            if (t.dtype() != DType.F32 || t.rank() == 0 || t.numel() == 0) {
                put(out, name, t, weights);
                continue;
            }
            float[] v = t.detach().toFloatArray();
            int nnz = 0;
            for (float x : v) {
                if (x != 0) {
                    nnz++;
                }
            }
            int rows = t.dim(0);
            Layout layout = choose(v.length, nnz, rows);
            if (layout == Layout.DENSE) {
                put(out, name, t, weights);
                continue;
            }
            float[] values = new float[nnz];
            if (layout == Layout.BITMASK) {
                byte[] mask = new byte[(v.length + 7) / 8];
                int k = 0;
                for (int i = 0; i < v.length; i++) {
                    if (v[i] != 0) {
                        mask[i >>> 3] |= (byte) (1 << (i & 7));
                        values[k++] = v[i];
                    }
                }
                put(out, name + ".mask", Tensor.fromBytes(mask, DType.U8), weights);
            } else {
                int cols = v.length / rows;
                int[] indptr = new int[rows + 1];
                int[] indices = new int[nnz];
                int k = 0;
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < cols; c++) {
                        float x = v[r * cols + c];
                        if (x != 0) {
                            indices[k] = c;
                            values[k++] = x;
                        }
                    }
                    indptr[r + 1] = k;
                }
                put(out, name + ".indptr", Tensor.fromArray(indptr), weights);
                put(out, name + ".indices", cols <= Short.MAX_VALUE ? shorts(indices) : Tensor.fromArray(indices), weights);
            }
            put(out, name + ".values", Tensor.fromArray(values), weights);
            JsonObject entry = new JsonObject();
            entry.addProperty("layout", layout.name().toLowerCase(java.util.Locale.ROOT));
            JsonArray shape = new JsonArray();
            for (int d : t.dims()) {
                shape.add(d);
            }
            entry.add("shape", shape);
            index.add(name, entry);
        }
        Map<String, String> meta = index.isEmpty() ? Map.of() : Map.of(METADATA_KEY, index.toString());
        return new Encoded(out, meta);
    }

    private static Tensor shorts(int[] v) {
        short[] s = new short[v.length];
        for (int i = 0; i < v.length; i++) {
            s[i] = (short) v[i];
        }
        return Tensor.fromArray(s);
    }

    private static void put(Map<String, Tensor> out, String name, Tensor t, Map<String, Tensor> original) {
        if (out.containsKey(name) || (!t.equals(original.get(name)) && original.containsKey(name))) {
            throw new IllegalArgumentException("sparse weights: the name '" + name + "' is needed for a sparse component but "
                    + "is already a tensor; rename that tensor or save dense");
        }
        out.put(name, t);
    }

    /**
     * The dense tensors of {@code file}, in its order: sparse tensors decoded into new F32 tensors (in the current
     * memory scope), the others as {@link SafetensorsFile#tensor} gives them.
     *
     * @throws ModelFormatException when the sparse index or a component breaks the rules above (the message names
     *         the file and the tensor)
     */
    public static Map<String, Tensor> decode(SafetensorsFile file) {
        Map<String, JsonObject> sparse = index(file);
        Map<String, String> owner = new LinkedHashMap<>();
        for (var e : sparse.entrySet()) {
            String layout = layoutOf(file, e.getKey(), e.getValue());
            for (String part : layout.equals("bitmask") ? new String[] {"mask", "values"}
                    : new String[] {"indptr", "indices", "values"}) {
                String c = e.getKey() + "." + part;
                if (!file.names().contains(c)) {
                    throw new ModelFormatException(file.file(), c, -1, "sparse tensor '" + e.getKey() + "' (" + layout
                            + ") needs the component '" + c + "', which the file does not have");
                }
                owner.put(c, e.getKey());
            }
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : file.names()) {
            String of = owner.get(name);
            if (of == null) {
                if (sparse.containsKey(name)) {
                    throw new ModelFormatException(file.file(), name, -1, "'" + name + "' is listed as sparse in "
                            + METADATA_KEY + " but is also stored dense");
                }
                out.put(name, file.tensor(name));
            } else if (!out.containsKey(of)) {
                out.put(of, densify(file, of, sparse.get(of)));
            }
        }
        return out;
    }

    private static Map<String, JsonObject> index(SafetensorsFile file) {
        String text = file.metadata().get(METADATA_KEY);
        Map<String, JsonObject> out = new LinkedHashMap<>();
        if (text == null) {
            return out;
        }
        JsonElement root;
        try {
            root = StrictJson.parse(file.file(), text);
        } catch (ModelFormatException e) {
            throw new ModelFormatException(file.file(), METADATA_KEY, -1, "the sparse index is not valid JSON: " + e.getMessage());
        }
        if (!root.isJsonObject()) {
            throw new ModelFormatException(file.file(), METADATA_KEY, -1, "the sparse index must be a JSON object of tensor names");
        }
        for (var e : root.getAsJsonObject().entrySet()) {
            if (!e.getValue().isJsonObject()) {
                throw new ModelFormatException(file.file(), e.getKey(), -1, "sparse index entry must be an object with "
                        + "\"layout\" and \"shape\"");
            }
            out.put(e.getKey(), e.getValue().getAsJsonObject());
        }
        return out;
    }

    private static String layoutOf(SafetensorsFile file, String name, JsonObject entry) {
        JsonElement l = entry.get("layout");
        String layout = l != null && l.isJsonPrimitive() ? l.getAsString() : "";
        if (!layout.equals("bitmask") && !layout.equals("csr")) {
            throw new ModelFormatException(file.file(), name, -1, "unknown sparse layout " + l + " (bitmask or csr)");
        }
        return layout;
    }

    private static int[] shapeOf(SafetensorsFile file, String name, JsonObject entry) {
        JsonElement s = entry.get("shape");
        if (s == null || !s.isJsonArray() || s.getAsJsonArray().isEmpty()) {
            throw new ModelFormatException(file.file(), name, -1, "sparse index entry has no \"shape\" list");
        }
        JsonArray a = s.getAsJsonArray();
        int[] shape = new int[a.size()];
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            long d;
            try {
                d = a.get(i).getAsLong();
            } catch (RuntimeException e) {
                d = -1;
            }
            if (d < 0 || d > Integer.MAX_VALUE) {
                throw new ModelFormatException(file.file(), name, -1, "sparse shape " + a + " has a bad dimension");
            }
            shape[i] = (int) d;
            n *= d;
            if (n > Integer.MAX_VALUE - 8) {
                throw new ModelFormatException(file.file(), name, -1, "sparse shape " + a + " has too many elements");
            }
        }
        return shape;
    }

    private static Tensor component(SafetensorsFile file, String name, DType[] dtypes, long elements) {
        DType d = file.dtype(name);
        boolean ok = false;
        for (DType t : dtypes) {
            ok |= t == d;
        }
        if (!ok || file.shape(name).rank() != 1 || (elements >= 0 && file.shape(name).numel() != elements)) {
            throw new ModelFormatException(file.file(), name, file.offset(name), "sparse component is " + d + " "
                    + file.shape(name) + "; expected " + java.util.Arrays.toString(dtypes) + " ["
                    + (elements >= 0 ? elements : "n") + "]");
        }
        return file.tensor(name);
    }

    private static Tensor densify(SafetensorsFile file, String name, JsonObject entry) {
        int[] shape = shapeOf(file, name, entry);
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        float[] dense;
        if (layoutOf(file, name, entry).equals("bitmask")) {
            int[] mask = component(file, name + ".mask", new DType[] {DType.U8}, (n + 7) / 8L).toIntArray();
            int nnz = 0;
            for (int b : mask) {
                nnz += Integer.bitCount(b);
            }
            if (n % 8 != 0 && (mask[mask.length - 1] >>> (n % 8)) != 0) {
                throw new ModelFormatException(file.file(), name + ".mask", file.offset(name + ".mask"),
                        "bits past the tensor's " + n + " elements are set");
            }
            float[] values = component(file, name + ".values", new DType[] {DType.F32}, nnz).toFloatArray();
            dense = new float[n]; // n <= 8 x the mask's bytes: bounded by the file
            int k = 0;
            for (int i = 0; i < n; i++) {
                if ((mask[i >>> 3] >>> (i & 7) & 1) != 0) {
                    dense[i] = values[k++];
                }
            }
        } else {
            int rows = shape[0];
            int cols = rows == 0 ? 0 : n / rows;
            int[] indptr = component(file, name + ".indptr", new DType[] {DType.I32}, rows + 1L).toIntArray();
            Tensor idx = component(file, name + ".indices", new DType[] {DType.I16, DType.I32}, -1);
            int[] indices = idx.toIntArray();
            float[] values = component(file, name + ".values", new DType[] {DType.F32}, indices.length).toFloatArray();
            // A CSR shape is only bounded by the metadata: refuse one that decodes to far more than its components
            // hold (a real 99.9%-sparse layer is ~500x; a forged [1, 2e9] would ask for 8 GB).
            long stored = 4L * (indptr.length + values.length) + (long) indices.length * idx.dtype().byteSize();
            if (4L * n > MAX_EXPANSION * stored + (1L << 20)) {
                throw new ModelFormatException(file.file(), name, -1, "sparse shape " + java.util.Arrays.toString(shape)
                        + " decodes to " + 4L * n + " bytes from " + stored + " stored: more than " + MAX_EXPANSION
                        + " times; the shape is wrong");
            }
            dense = new float[n];
            if (indptr[0] != 0 || indptr[rows] != indices.length) {
                throw new ModelFormatException(file.file(), name + ".indptr", file.offset(name + ".indptr"), "must start at 0 "
                        + "and end at the " + indices.length + " entries, got " + indptr[0] + " and " + indptr[rows]);
            }
            for (int r = 0; r < rows; r++) {
                if (indptr[r + 1] < indptr[r]) {
                    throw new ModelFormatException(file.file(), name + ".indptr", file.offset(name + ".indptr") + 4L * (r + 1),
                            "decreases at row " + r);
                }
                int prev = -1;
                for (int k = indptr[r]; k < indptr[r + 1]; k++) {
                    int c = indices[k];
                    if (c <= prev || c >= cols) {
                        throw new ModelFormatException(file.file(), name + ".indices", file.offset(name + ".indices"),
                                "entry " + k + " (row " + r + ") has column " + c + "; columns must ascend within a row and be "
                                        + "below " + cols);
                    }
                    prev = c;
                    dense[r * cols + c] = values[k];
                }
            }
        }
        return Tensor.fromArray(dense, shape);
    }
}
