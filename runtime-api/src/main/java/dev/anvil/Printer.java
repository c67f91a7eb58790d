package dev.anvil;

import java.util.Locale;

/** NumPy-like printing: nested brackets, aligned columns, elided middle past 1000 elements. */
final class Printer {
    private static final int THRESHOLD = 1000;
    private static final int EDGE = 3;

    private Printer() {
    }

    static String format(Tensor t) {
        String head = "tensor(shape=" + t.shape() + ", dtype=" + t.dtype().numpyName() + ", backend="
                + t.backend().name();
        if (!t.isAlive()) {
            return head + ", released)";
        }
        double[] v = t.toDoubleArray();
        boolean elide = v.length > THRESHOLD;
        boolean floating = t.dtype().isFloating();
        boolean allIntegral = true;
        double maxAbs = 0;
        double minAbs = Double.MAX_VALUE;
        for (double d : v) {
            if (Double.isFinite(d)) {
                allIntegral &= d == Math.rint(d);
                maxAbs = Math.max(maxAbs, Math.abs(d));
                if (d != 0) {
                    minAbs = Math.min(minAbs, Math.abs(d));
                }
            }
        }
        boolean sci = floating && (maxAbs >= 1e8 || (minAbs < 1e-4 && maxAbs > 0));
        String[] cells = new String[v.length];
        int width = 0;
        for (int i = 0; i < v.length; i++) {
            cells[i] = cell(v[i], t.dtype(), floating, allIntegral, sci);
            width = Math.max(width, cells[i].length());
        }
        StringBuilder sb = new StringBuilder();
        int[] dims = t.dims();
        if (dims.length == 0) {
            sb.append(cells[0]);
        } else {
            append(sb, cells, dims, 0, 0, width, elide, "       ");
        }
        return "tensor(" + sb + ", shape=" + t.shape() + ", dtype=" + t.dtype().numpyName() + ", backend="
                + t.backend().name() + ")";
    }

    private static String cell(double d, DType t, boolean floating, boolean allIntegral, boolean sci) {
        if (t == DType.BOOL) {
            return d != 0 ? "True" : "False";
        }
        if (!floating) {
            return Long.toString((long) d);
        }
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (sci) {
            return String.format(Locale.ROOT, "%.4e", d);
        }
        if (allIntegral) {
            return String.format(Locale.ROOT, "%.0f.", d);
        }
        return String.format(Locale.ROOT, "%.4f", d);
    }

    /** Appends dimension {@code axis} starting at flat element {@code base}. */
    private static void append(StringBuilder sb, String[] cells, int[] dims, int axis, long base, int width,
                               boolean elide, String indent) {
        long block = 1;
        for (int i = axis + 1; i < dims.length; i++) {
            block *= dims[i];
        }
        int n = dims[axis];
        sb.append('[');
        for (int i = 0; i < n; i++) {
            if (elide && n > 2 * EDGE && i == EDGE) {
                sb.append(axis == dims.length - 1 ? "..., " : "...,\n" + indent + " ".repeat(axis + 1));
                i = n - EDGE - 1;
                continue;
            }
            if (axis == dims.length - 1) {
                String c = cells[(int) (base + i)];
                sb.append(" ".repeat(width - c.length())).append(c);
                if (i < n - 1) {
                    sb.append(", ");
                }
            } else {
                append(sb, cells, dims, axis + 1, base + i * block, width, elide, indent);
                if (i < n - 1) {
                    sb.append(",").append("\n".repeat(dims.length - axis - 1)).append(indent).append(" ".repeat(axis + 1));
                }
            }
        }
        sb.append(']');
    }
}
