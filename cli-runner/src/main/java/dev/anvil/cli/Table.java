package dev.anvil.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** A plain-text table with aligned columns; numeric columns are right-aligned. */
final class Table {
    private final String[] headers;
    private final boolean[] rightAligned;
    private final List<String[]> rows = new ArrayList<>();

    /** Columns whose header starts with '>' are right-aligned (the '>' is not printed). */
    Table(String... headers) {
        this.headers = new String[headers.length];
        this.rightAligned = new boolean[headers.length];
        for (int i = 0; i < headers.length; i++) {
            rightAligned[i] = headers[i].startsWith(">");
            this.headers[i] = rightAligned[i] ? headers[i].substring(1) : headers[i];
        }
    }

    void add(String... cells) {
        if (cells.length != headers.length) {
            throw new IllegalArgumentException("table row has " + cells.length + " cells, expected " + headers.length);
        }
        rows.add(cells.clone());
    }

    /** Prints the header line and the rows. */
    void print(PrintWriter out, String indent) {
        print(out, indent, true);
    }

    /** Prints the rows only (key/value lists). */
    void printRows(PrintWriter out, String indent) {
        print(out, indent, false);
    }

    private void print(PrintWriter out, String indent, boolean header) {
        int[] width = new int[headers.length];
        for (int i = 0; i < headers.length; i++) {
            width[i] = header ? headers[i].length() : 0;
            for (String[] r : rows) {
                width[i] = Math.max(width[i], r[i] == null ? 0 : r[i].length());
            }
        }
        if (header) {
            line(out, indent, headers, width);
        }
        for (String[] r : rows) {
            line(out, indent, r, width);
        }
    }

    private void line(PrintWriter out, String indent, String[] cells, int[] width) {
        StringBuilder sb = new StringBuilder(indent);
        for (int i = 0; i < cells.length; i++) {
            String c = cells[i] == null ? "" : cells[i];
            boolean lastColumn = i == cells.length - 1;
            String pad = " ".repeat(width[i] - c.length());
            if (rightAligned[i]) {
                sb.append(pad).append(c);
            } else {
                sb.append(c);
                if (!lastColumn) {
                    sb.append(pad);
                }
            }
            if (!lastColumn) {
                sb.append("  ");
            }
        }
        out.println(sb.toString().stripTrailing());
    }
}
