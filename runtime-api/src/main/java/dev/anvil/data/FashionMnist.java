package dev.anvil.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Fashion-MNIST (Zalando, MIT licensed): 28x28 grey images of 10 clothing classes, 60,000 for training and
 * 10,000 for testing. Found where Debian's {@code dataset-fashion-mnist} package installs it, in any folder
 * holding the four IDX files, or as the stratified 6,000 / 1,000 subset embedded in this jar.
 *
 * <pre>{@code
 * FashionMnist.Split data = FashionMnist.installed().map(FashionMnist::load).orElseGet(FashionMnist::embedded);
 * }</pre>
 */
public final class FashionMnist {
    /** Class names, by label. */
    public static final String[] CLASSES = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
        "Sneaker", "Bag", "Ankle boot"};
    /** Where Debian's dataset-fashion-mnist package puts the files. */
    public static final Path DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    private static final String EMBEDDED = "/dev/anvil/data/fashion-mnist-subset/";

    /** Training and test sets, and where they came from. */
    public record Split(ArrayDataset train, ArrayDataset test, String source) {
    }

    private FashionMnist() {
    }

    /** The Debian package's folder, when the four files are there. */
    public static Optional<Path> installed() {
        return hasFiles(DEBIAN_DIR) ? Optional.of(DEBIAN_DIR) : Optional.empty();
    }

    /** True when {@code dir} holds the four IDX files (gzipped or not). */
    public static boolean hasFiles(Path dir) {
        for (String f : new String[] {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
            "t10k-labels-idx1-ubyte"}) {
            if (find(dir, f) == null) {
                return false;
            }
        }
        return true;
    }

    private static Path find(Path dir, String base) {
        for (String name : new String[] {base + ".gz", base}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return null;
    }

    private static Path need(Path dir, String base) {
        Path p = find(dir, base);
        if (p == null) {
            throw new DataFileException(dir + ": no " + base + "(.gz); a Fashion-MNIST folder holds train-images-idx3-ubyte, "
                    + "train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (gzipped or not); "
                    + "install them with: apt-get install dataset-fashion-mnist");
        }
        return p;
    }

    /** Loads the full dataset from {@code dir}. */
    public static Split load(Path dir) {
        ArrayDataset train = Idx.dataset(Idx.read(need(dir, "train-images-idx3-ubyte")),
                Idx.read(need(dir, "train-labels-idx1-ubyte")), dir + " (train)", 10);
        ArrayDataset test = Idx.dataset(Idx.read(need(dir, "t10k-images-idx3-ubyte")),
                Idx.read(need(dir, "t10k-labels-idx1-ubyte")), dir + " (test)", 10);
        return new Split(train, test, "fashion-mnist:" + dir);
    }

    /** The stratified subset embedded in the jar: 6,000 training and 1,000 test images. */
    public static Split embedded() {
        return new Split(resource("train"), resource("test"), "embedded Fashion-MNIST subset (6,000 / 1,000)");
    }

    private static ArrayDataset resource(String split) {
        Idx.Data images = resourceFile(split + "-images-idx3-ubyte.gz");
        Idx.Data labels = resourceFile(split + "-labels-idx1-ubyte.gz");
        return Idx.dataset(images, labels, "embedded " + split, 10);
    }

    private static Idx.Data resourceFile(String name) {
        try (InputStream in = FashionMnist.class.getResourceAsStream(EMBEDDED + name)) {
            if (in == null) {
                throw new DataFileException("the embedded Fashion-MNIST subset is missing from the jar (" + EMBEDDED + name + ")");
            }
            return Idx.read(in, "embedded " + name);
        } catch (IOException e) {
            throw new DataFileException("embedded " + name + ": " + e.getMessage(), e);
        }
    }
}
