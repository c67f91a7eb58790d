package dev.anvil.format;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.LongConsumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A versioned model repository laid out as TensorFlow Serving's: {@code REPO/<name>/<version>/}, each version a
 * package folder whose name is a positive integer. Other entries (files, hidden temporary folders, names that
 * are not a positive integer in canonical form such as {@code 01} or {@code v2}) are ignored.
 *
 * <pre>{@code
 * ModelRepository repo = new ModelRepository(Path.of("models"));
 * long v = repo.publish(Path.of("out/mnist"), "mnist");     // models/mnist/<v>/
 * try (ModelPackage p = ModelPackage.load(repo.path("mnist", repo.latest("mnist").orElseThrow()))) { ... }
 * }</pre>
 */
public final class ModelRepository {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern VERSION = Pattern.compile("[1-9][0-9]{0,18}");
    private static final int MAX_TRIES = 1000;

    private final Path root;
    private final LongConsumer beforeRename;

    /** The repository rooted at {@code root} (created on the first publish). */
    public ModelRepository(Path root) {
        this(root, v -> { });
    }

    /** {@code beforeRename} runs just before each attempt to rename into version v: a seam for race tests. */
    ModelRepository(Path root, LongConsumer beforeRename) {
        this.root = root;
        this.beforeRename = beforeRename;
    }

    /** The repository's root folder. */
    public Path root() {
        return root;
    }

    /** The folder of {@code name}'s version {@code version} (which may not exist). */
    public Path path(String name, long version) {
        if (version < 1) {
            throw new IllegalArgumentException("a model version is a positive integer, not " + version);
        }
        return root.resolve(checkName(name)).resolve(Long.toString(version));
    }

    /** The versions of {@code name}, ascending; empty when the model has none or does not exist. */
    public List<Long> versions(String name) throws IOException {
        Path dir = root.resolve(checkName(name));
        List<Long> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String n = p.getFileName().toString();
                if (VERSION.matcher(n).matches() && Files.isDirectory(p)) {
                    try {
                        out.add(Long.parseLong(n));
                    } catch (NumberFormatException e) {
                        // 19 digits above Long.MAX_VALUE: not a version this repository can name
                    }
                }
            }
        }
        out.sort(null);
        return out;
    }

    /** The highest version of {@code name}, or empty. */
    public OptionalLong latest(String name) throws IOException {
        List<Long> v = versions(name);
        return v.isEmpty() ? OptionalLong.empty() : OptionalLong.of(v.get(v.size() - 1));
    }

    /**
     * Copies the package at {@code pkg} (a folder or a zip; its checksum is verified first) into the repository
     * as {@code name}'s next version, atomically: the files are copied into a hidden temporary folder inside
     * {@code REPO/<name>/} and that folder is renamed to the version number; if another publisher took that
     * number meanwhile, the next one is tried. A reader never sees a partly copied version.
     *
     * @return the version published
     * @throws ModelFormatException when {@code pkg} is not a valid package
     */
    public long publish(Path pkg, String name) throws IOException {
        Path dir = root.resolve(checkName(name));
        Files.createDirectories(dir);
        Path tmp = Files.createTempDirectory(dir, ".publish-");
        boolean moved = false;
        try {
            try (ModelPackage p = ModelPackage.load(pkg)) {
                Path from = p.weights().file().getParent();
                for (String f : new String[] {ModelPackage.MODEL_JSON, ModelPackage.WEIGHTS}) {
                    Files.copy(from.resolve(f), tmp.resolve(f), StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
            // the copy is checked against the recorded checksum again, so a file changed mid-copy is caught
            ModelPackage.load(tmp).close();
            ModelPackage.syncDirectory(tmp);
            long v = latest(name).orElse(0) + 1;
            for (int tries = 0; ; tries++) {
                Path target = dir.resolve(Long.toString(v));
                if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                    beforeRename.accept(v);
                    try {
                        ModelPackage.rename(tmp, target);
                        moved = true;
                        ModelPackage.syncDirectory(dir);
                        return v;
                    } catch (IOException e) {
                        // taken meanwhile (a non-empty folder or a file there): try the next number
                        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS) || tries >= MAX_TRIES) {
                            throw e;
                        }
                    }
                }
                if (tries >= MAX_TRIES) {
                    throw new IOException("could not publish " + name + " into " + dir + ": versions up to " + v
                            + " kept being taken");
                }
                v = Math.addExact(v, 1);
            }
        } finally {
            if (!moved) {
                ModelPackage.deleteRecursively(tmp);
            }
        }
    }

    private static String checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("a model name is letters, digits, '.', '_' and '-', not starting with"
                    + " '.', '_' or '-'; got '" + name + "'");
        }
        return name;
    }
}
