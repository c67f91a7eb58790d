package dev.anvil.format;

import dev.anvil.Tensor;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * A model package: a folder holding {@code model.json} and {@code weights.safetensors}, or a {@code .zip} of
 * that folder (the two files at the top of the zip, or inside one top-level folder).
 *
 * <pre>{@code
 * ModelPackage.save(Path.of("out/mnist"), meta, model.stateDict());   // the SHA-256 is filled in
 * try (ModelPackage p = ModelPackage.load(Path.of("out/mnist"))) {    // or "mnist.zip"
 *     model.loadStateDict(p.tensors());                                // views of the mapped file
 * }
 * }</pre>
 *
 * <p>A loaded package owns its open, memory-mapped {@link SafetensorsFile}; closing the package closes it (the
 * tensors that are views of the mapping die) and, for a zip, deletes the temporary folder it was extracted to.
 */
public final class ModelPackage implements Closeable {
    /** The description file inside a package. */
    public static final String MODEL_JSON = "model.json";
    /** The weights file inside a package. */
    public static final String WEIGHTS = "weights.safetensors";
    /** The largest zip entry {@link #load(Path)} extracts: 64 GiB. */
    public static final long MAX_ZIP_ENTRY_BYTES = 64L << 30;

    private final Path source;
    private final ModelJson meta;
    private final SafetensorsFile weights;
    private final Path extracted;

    private ModelPackage(Path source, ModelJson meta, SafetensorsFile weights, Path extracted) {
        this.source = source;
        this.meta = meta;
        this.weights = weights;
        this.extracted = extracted;
    }

    /** Writes the weights file at a path; a seam so tests can make it fail half-way. */
    @FunctionalInterface
    interface WeightsWriter {
        void write(Path file, Map<String, Tensor> weights) throws IOException;
    }

    /**
     * Writes a package at {@code dir}: {@code weights.safetensors}, then {@code model.json} carrying the weights'
     * SHA-256, into a temporary sibling folder that is then renamed to {@code dir}. An existing package at
     * {@code dir} is replaced by renames only (it is moved aside, the new one moved in, the old one deleted), so
     * {@code dir} never shows a half-written package; if anything fails, {@code dir} is left as it was. Only a
     * package (a folder with {@code model.json}) or an empty folder is replaced; anything else at {@code dir} is a
     * {@link FileAlreadyExistsException}.
     *
     * @return {@code meta} with the SHA-256 of the weights as written
     */
    public static ModelJson save(Path dir, ModelJson meta, Map<String, Tensor> weights) throws IOException {
        return save(dir, meta, weights, Safetensors::write);
    }

    /**
     * {@link #save(Path, ModelJson, Map)} with each weight stored as {@link SparseWeights} decides: dense, or values
     * plus a bitmask or CSR indices where that takes fewer bytes (pruned models). {@link #tensors()} reads both.
     */
    public static ModelJson saveSparse(Path dir, ModelJson meta, Map<String, Tensor> weights) throws IOException {
        return save(dir, meta, weights, SparseWeights::write);
    }

    static ModelJson save(Path dir, ModelJson meta, Map<String, Tensor> weights, WeightsWriter writer)
            throws IOException {
        Path target = dir.toAbsolutePath().normalize();
        Path parent = target.getParent();
        if (parent == null) {
            throw new IllegalArgumentException("a package cannot be the file system root: " + dir);
        }
        Files.createDirectories(parent);
        refuseToReplaceNonPackage(target);
        String base = target.getFileName().toString();
        Path tmp = Files.createTempDirectory(parent, "." + base + ".tmp-");
        boolean moved = false;
        try {
            Path w = tmp.resolve(WEIGHTS);
            writer.write(w, weights);
            ModelJson written = meta.withWeightsSha256(sha256(w));
            try (FileChannel ch = FileChannel.open(tmp.resolve(MODEL_JSON), StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(written.toJson().getBytes(StandardCharsets.UTF_8));
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            syncDirectory(tmp);
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                Path old = Files.createTempDirectory(parent, "." + base + ".old-");
                Files.delete(old); // only the name is wanted: a rename onto it must not find a folder there
                rename(target, old);
                try {
                    rename(tmp, target);
                } catch (IOException | RuntimeException e) {
                    rename(old, target); // put the previous package back
                    throw e;
                }
                moved = true;
                deleteRecursively(old);
            } else {
                rename(tmp, target);
                moved = true;
            }
            syncDirectory(parent);
            return written;
        } finally {
            if (!moved) {
                deleteRecursively(tmp);
            }
        }
    }

    /** A save replaces a package or an empty folder, never a file or a folder holding something else. */
    private static void refuseToReplaceNonPackage(Path target) throws IOException {
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(target.toString(), null,
                    "not a model package folder; refusing to replace it");
        }
        if (Files.isRegularFile(target.resolve(MODEL_JSON), LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.list(target)) {
            if (s.findAny().isPresent()) {
                throw new FileAlreadyExistsException(target.toString(), null,
                        "a folder without " + MODEL_JSON + " that is not empty; refusing to replace it");
            }
        }
    }

    /** {@link #load(Path, Safetensors.LoadOptions)} with {@link Safetensors.LoadOptions#DEFAULT}. */
    public static ModelPackage load(Path pkg) throws IOException {
        return load(pkg, Safetensors.LoadOptions.DEFAULT);
    }

    /**
     * Opens the package at {@code pkg} (a folder, or a zip of one), checks that the SHA-256 of its weights file
     * is the one {@code model.json} records, and maps the weights.
     *
     * @throws ModelFormatException when a file is missing or malformed, the checksum differs (the message names
     *         the file and both hashes), or a zip entry is unsafe (absolute path, {@code ..}) or too large
     * @throws NoSuchFileException when {@code pkg} does not exist
     */
    public static ModelPackage load(Path pkg, Safetensors.LoadOptions options) throws IOException {
        return load(pkg, options, MAX_ZIP_ENTRY_BYTES);
    }

    static ModelPackage load(Path pkg, Safetensors.LoadOptions options, long maxEntryBytes) throws IOException {
        if (Files.isDirectory(pkg)) {
            return open(pkg, pkg, options, null);
        }
        if (!Files.exists(pkg)) {
            throw new NoSuchFileException(pkg.toString(), null, "no model package (folder or .zip) here");
        }
        Path tmp = Files.createTempDirectory("anvil-package-");
        try {
            Path root = extract(pkg, tmp, maxEntryBytes);
            return open(pkg, root, options, tmp);
        } catch (IOException | RuntimeException | Error e) {
            deleteRecursively(tmp);
            throw e;
        }
    }

    private static ModelPackage open(Path source, Path folder, Safetensors.LoadOptions options, Path extracted)
            throws IOException {
        Path json = folder.resolve(MODEL_JSON);
        Path w = folder.resolve(WEIGHTS);
        for (Path p : List.of(json, w)) {
            if (!Files.isRegularFile(p)) {
                throw new ModelFormatException(source, null, -1, "the package has no " + p.getFileName()
                        + " (a package holds " + MODEL_JSON + " and " + WEIGHTS + ")");
            }
        }
        ModelJson meta = ModelJson.parse(json, Files.readString(json, StandardCharsets.UTF_8));
        String actual = sha256(w);
        if (!actual.equals(meta.weightsSha256())) {
            throw new ModelFormatException(w, null, -1, "SHA-256 mismatch: the file's is " + actual + " but "
                    + json + " records " + meta.weightsSha256());
        }
        SafetensorsFile f = Safetensors.open(w, options);
        return new ModelPackage(source, meta, f, extracted);
    }

    /**
     * Extracts the zip {@code zip} into {@code into}, refusing unsafe or oversized entries, and returns the
     * folder that holds {@code model.json}: {@code into} itself or its single top-level folder.
     */
    private static Path extract(Path zip, Path into, long maxEntryBytes) throws IOException {
        try (ZipFile z = new ZipFile(zip.toFile())) {
            Enumeration<? extends ZipEntry> entries = z.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                String name = e.getName();
                Path out = safeEntryPath(zip, into, name);
                if (e.isDirectory()) {
                    Files.createDirectories(out);
                    continue;
                }
                if (e.getSize() > maxEntryBytes) {
                    throw tooLarge(zip, name, maxEntryBytes);
                }
                Files.createDirectories(out.getParent());
                try (InputStream in = z.getInputStream(e);
                        OutputStream o = Files.newOutputStream(out, StandardOpenOption.CREATE_NEW,
                                StandardOpenOption.WRITE)) {
                    byte[] buf = new byte[1 << 16];
                    long total = 0;
                    for (int n; (n = in.read(buf)) > 0; ) {
                        total += n;
                        if (total > maxEntryBytes) { // the recorded size may lie
                            throw tooLarge(zip, name, maxEntryBytes);
                        }
                        o.write(buf, 0, n);
                    }
                } catch (FileAlreadyExistsException x) {
                    throw new ModelFormatException(zip, null, -1, "zip entry '" + name + "' appears twice", x);
                }
            }
        } catch (ZipException e) {
            throw new ModelFormatException(zip, null, -1, "neither a package folder nor a readable zip: "
                    + e.getMessage(), e);
        }
        if (Files.isRegularFile(into.resolve(MODEL_JSON))) {
            return into;
        }
        List<Path> top = new ArrayList<>();
        try (Stream<Path> s = Files.list(into)) {
            s.forEach(top::add);
        }
        if (top.size() == 1 && Files.isDirectory(top.get(0))) {
            return top.get(0);
        }
        throw new ModelFormatException(zip, null, -1, "the zip has no " + MODEL_JSON
                + " at its top or inside a single top-level folder");
    }

    private static ModelFormatException tooLarge(Path zip, String name, long cap) {
        return new ModelFormatException(zip, null, -1, "zip entry '" + name + "' is larger than the " + cap
                + "-byte limit for an entry");
    }

    /** Where entry {@code name} goes under {@code into}; refuses absolute paths, drive letters and {@code ..}. */
    static Path safeEntryPath(Path zip, Path into, String name) {
        String why = null;
        if (name.isEmpty() || name.indexOf('\0') >= 0) {
            why = "has an empty or NUL-containing name";
        } else if (name.startsWith("/") || name.startsWith("\\") || name.matches("^[A-Za-z]:.*")) {
            why = "has an absolute path";
        } else {
            for (String part : name.split("[/\\\\]")) {
                if (part.equals("..")) {
                    why = "has '..' in its path";
                    break;
                }
            }
        }
        Path out = null;
        if (why == null) {
            out = into.resolve(name).normalize();
            if (!out.startsWith(into) || out.equals(into)) {
                why = "resolves outside the extraction folder";
            }
        }
        if (why != null) {
            throw new ModelFormatException(zip, null, -1, "zip entry '" + name + "' " + why + "; refused");
        }
        return out;
    }

    /** Where the package was loaded from (the folder or the zip). */
    public Path source() {
        return source;
    }

    /** The package's {@code model.json}. */
    public ModelJson meta() {
        return meta;
    }

    /** The open, memory-mapped weights; valid until this package is closed. */
    public SafetensorsFile weights() {
        return weights;
    }

    /**
     * The weights as dense tensors by name, whether stored dense or sparse ({@link SparseWeights}): what a model's
     * {@code loadStateDict} takes. Dense ones are views of the mapping, valid until the package is closed.
     */
    public Map<String, Tensor> tensors() {
        return SparseWeights.decode(weights);
    }

    /** Closes the weights (unmapping them) and deletes the folder a zip was extracted to. Idempotent. */
    @Override
    public void close() throws IOException {
        weights.close();
        if (extracted != null) {
            deleteRecursively(extracted);
        }
    }

    /** Lower-case hex SHA-256 of {@code file}'s contents. */
    public static String sha256(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            while (ch.read(buf) >= 0) {
                buf.flip();
                md.update(buf);
                buf.clear();
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static void rename(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    /** Forces a folder's entries to disk where the platform allows it (Linux does; others may not). */
    static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // best effort: the rename is still atomic, only its durability across a power loss is weaker
        }
    }

    static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(q);
            }
        }
    }
}
