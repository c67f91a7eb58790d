package dev.anvil.cli.serve;

import dev.anvil.io.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The labels of one model as last moved through the management API, kept in {@code REPO/<model>/labels.json}
 * ({@code {"stable": 3, "canary": 4}}) so that a rollback outlives a restart. Written atomically (temporary file,
 * fsync, rename); a missing file means no label was moved; a file that cannot be read is reported and ignored,
 * so a damaged file never keeps a model from being served.
 */
final class LabelStore {
    static final String FILE = "labels.json";

    private LabelStore() {
    }

    /** The labels in {@code file}; empty when it does not exist. */
    static Map<String, Long> read(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Map.of();
        }
        Map<String, Long> out = new LinkedHashMap<>();
        try {
            JsonScanner s = new JsonScanner(bytes, bytes.length);
            s.expect('{');
            if (!s.consume('}')) {
                do {
                    String label = s.readString();
                    s.expect(':');
                    long version = s.readLong("the version of label '" + label + "'");
                    if (!ModelConfig.LABEL.matcher(label).matches() || version < 1) {
                        throw HttpError.badRequest("'" + label + "': " + version + " is not a label (letters, digits and '_') "
                                + "with a positive version");
                    }
                    if (out.put(label, version) != null) {
                        throw HttpError.badRequest("label '" + label + "' is given twice");
                    }
                } while (s.consume(','));
                s.expect('}');
            }
            s.expectEnd();
        } catch (HttpError | IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage() + " (expected {\"label\": version, ...}; delete the file to forget "
                    + "the labels moved by hand)", e);
        }
        return out;
    }

    /** Replaces {@code file} with {@code labels}, atomically. */
    static void write(Path file, Map<String, Long> labels) throws IOException {
        StringBuilder sb = new StringBuilder("{");
        for (var e : new TreeMap<>(labels).entrySet()) {
            sb.append(sb.length() > 1 ? ", " : "").append('"').append(e.getKey()).append("\": ").append(e.getValue());
        }
        byte[] bytes = sb.append("}\n").toString().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.replace(file, true, bytes);
    }
}
