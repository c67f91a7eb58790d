package dev.anvil.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a CSV file of numeric features and an integer class label column. The first line is a header when
 * any of its cells is not a number. The label column is named, or given as an index (default: the last).
 */
public final class Csv {
    private Csv() {
    }

    /** Reads {@code file} with the label in column {@code labelColumn} (a header name or a 0-based index; null: last). */
    public static ArrayDataset read(Path file, String labelColumn) {
        List<String> lines;
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            lines = r.lines().toList();
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new DataFileException(file + ": cannot read: " + e.getMessage(), e);
        }
        int first = 0;
        while (first < lines.size() && lines.get(first).isBlank()) {
            first++;
        }
        if (first == lines.size()) {
            throw new DataFileException(file + ": empty file");
        }
        String[] head = lines.get(first).split(",", -1);
        boolean header = false;
        for (String c : head) {
            if (!isNumber(c.trim())) {
                header = true;
                break;
            }
        }
        int columns = head.length;
        int label = columns - 1;
        if (labelColumn != null) {
            int idx = -1;
            if (header) {
                for (int i = 0; i < columns; i++) {
                    if (head[i].trim().equals(labelColumn)) {
                        idx = i;
                    }
                }
            }
            if (idx < 0) {
                try {
                    idx = Integer.parseInt(labelColumn);
                } catch (NumberFormatException e) {
                    throw new DataFileException(file + ":" + (first + 1) + ": no column named '" + labelColumn + "' in the header");
                }
            }
            if (idx < 0 || idx >= columns) {
                throw new DataFileException(file + ": label column " + idx + " does not exist (the file has " + columns + " columns)");
            }
            label = idx;
        }
        if (columns < 2) {
            throw new DataFileException(file + ":" + (first + 1) + ": need at least one feature column and a label column");
        }
        List<float[]> rows = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        int maxLabel = 0;
        for (int ln = header ? first + 1 : first; ln < lines.size(); ln++) {
            String line = lines.get(ln);
            if (line.isBlank()) {
                continue;
            }
            String[] cells = line.split(",", -1);
            if (cells.length != columns) {
                throw new DataFileException(file + ":" + (ln + 1) + ": " + cells.length + " columns, expected " + columns
                        + (cells.length < columns ? " (a missing column)" : ""));
            }
            float[] f = new float[columns - 1];
            for (int c = 0, k = 0; c < columns; c++) {
                String cell = cells[c].trim();
                if (c == label) {
                    int y;
                    try {
                        y = Integer.parseInt(cell);
                    } catch (NumberFormatException e) {
                        throw new DataFileException(file + ":" + (ln + 1) + ": label '" + cell + "' in column " + (c + 1)
                                + " is not a class number (0, 1, 2, ...)");
                    }
                    if (y < 0) {
                        throw new DataFileException(file + ":" + (ln + 1) + ": negative label " + y);
                    }
                    labels.add(y);
                    maxLabel = Math.max(maxLabel, y);
                } else {
                    try {
                        f[k++] = Float.parseFloat(cell);
                    } catch (NumberFormatException e) {
                        throw new DataFileException(file + ":" + (ln + 1) + ": column " + (c + 1) + " is not a number: '" + cell + "'");
                    }
                }
            }
            rows.add(f);
        }
        if (rows.isEmpty()) {
            throw new DataFileException(file + ": no data rows");
        }
        float[] x = new float[rows.size() * (columns - 1)];
        int[] y = new int[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(rows.get(i), 0, x, i * (columns - 1), columns - 1);
            y[i] = labels.get(i);
        }
        return new ArrayDataset(x, y, new int[] {columns - 1}, maxLabel + 1);
    }

    private static boolean isNumber(String s) {
        try {
            Double.parseDouble(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
