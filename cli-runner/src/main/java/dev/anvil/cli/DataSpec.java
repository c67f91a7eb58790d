package dev.anvil.cli;

import dev.anvil.data.ArrayDataset;
import dev.anvil.data.Csv;
import dev.anvil.data.FashionMnist;
import dev.anvil.data.Idx;
import java.nio.file.Path;

/**
 * The {@code --data} option: {@code embedded} (the subset in the jar), {@code fashion-mnist} (Debian's package,
 * else the embedded subset with a note), {@code fashion-mnist:DIR}, {@code idx:IMAGES,LABELS[;TEST_IMAGES,TEST_LABELS]}
 * or {@code csv:TRAIN[,TEST][@LABEL_COLUMN]}.
 */
final class DataSpec {
    /** Training and test sets, a description of where they came from, and the class names by label. */
    record Loaded(ArrayDataset train, ArrayDataset test, String source, String[] classNames) {
        /** The same source with other (for example normalised) datasets. */
        Loaded with(ArrayDataset newTrain, ArrayDataset newTest) {
            return new Loaded(newTrain, newTest, source, classNames);
        }
    }

    private static Loaded unnamed(ArrayDataset train, ArrayDataset test, String source) {
        String[] names = new String[train.classes()];
        for (int i = 0; i < names.length; i++) {
            names[i] = Integer.toString(i);
        }
        return new Loaded(train, test, source, names);
    }

    static final String HELP = "embedded | fashion-mnist | fashion-mnist:DIR | idx:IMAGES,LABELS[;TEST_IMAGES,TEST_LABELS]"
            + " | csv:TRAIN[,TEST][@LABEL]";

    private DataSpec() {
    }

    static Loaded load(String spec) {
        String s = spec == null ? "fashion-mnist" : spec.trim();
        if (s.equals("embedded")) {
            return of(FashionMnist.embedded());
        }
        if (s.equals("fashion-mnist")) {
            return FashionMnist.installed().map(d -> of(FashionMnist.load(d)))
                    .orElseGet(() -> of(FashionMnist.embedded()));
        }
        if (s.startsWith("fashion-mnist:")) {
            return of(FashionMnist.load(Path.of(s.substring("fashion-mnist:".length()))));
        }
        if (s.startsWith("idx:")) {
            String[] parts = s.substring(4).split(";");
            ArrayDataset train = idx(parts[0], s);
            ArrayDataset test = parts.length > 1 ? idx(parts[1], s) : null;
            return unnamed(train, test, s);
        }
        if (s.startsWith("csv:")) {
            String body = s.substring(4);
            String label = null;
            int at = body.lastIndexOf('@');
            if (at >= 0) {
                label = body.substring(at + 1);
                body = body.substring(0, at);
            }
            String[] files = body.split(",");
            ArrayDataset train = Csv.read(Path.of(files[0]), label);
            ArrayDataset test = files.length > 1 ? Csv.read(Path.of(files[1]), label) : null;
            return unnamed(train, test, s);
        }
        throw new IllegalArgumentException("--data: unknown source '" + spec + "'; expected " + HELP);
    }

    private static ArrayDataset idx(String pair, String spec) {
        String[] f = pair.split(",");
        if (f.length != 2) {
            throw new IllegalArgumentException("--data " + spec + ": give IMAGES,LABELS file pairs");
        }
        return Idx.dataset(Idx.read(Path.of(f[0])), Idx.read(Path.of(f[1])), f[0], 256);
    }

    private static Loaded of(FashionMnist.Split split) {
        return new Loaded(split.train(), split.test(), split.source(), FashionMnist.CLASSES.clone());
    }
}
