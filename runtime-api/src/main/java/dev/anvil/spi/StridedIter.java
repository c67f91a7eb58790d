package dev.anvil.spi;

/**
 * Walks several same-shaped strided layouts together, one innermost run at a time, so a kernel's inner
 * loop is a simple {@code for (i < inner)} over {@code offset(k) + i * innerStride(k)}.
 *
 * <p>Dimensions that are contiguous in every operand are merged first, so a dense tensor of any rank
 * becomes a single run of {@code numel} elements.
 *
 * <pre>{@code
 * var it = new StridedIter(out.shape(), a.layout(), b.layout(), out.layout());
 * while (it.hasNext()) {
 *     it.next();
 *     for (int i = 0; i < it.inner(); i++) { ... it.offset(0) + i * it.innerStride(0) ... }
 * }
 * }</pre>
 */
public final class StridedIter {
    private final int[] dims;        // merged outer dims (without the inner one)
    private final long[][] strides;  // [operand][outer dim]
    private final long[] base;
    private final long[] offsets;
    private final int[] counter;
    private final int inner;
    private final long[] innerStrides;
    private long remaining;
    private boolean started;

    /** Iterates {@code shape} over each layout (whose own shapes must equal {@code shape}). */
    public StridedIter(int[] shape, Layout... layouts) {
        int n = layouts.length;
        for (Layout l : layouts) {
            if (!java.util.Arrays.equals(l.shape(), shape)) {
                throw new IllegalArgumentException("strided iteration: layout " + l + " does not have shape "
                        + java.util.Arrays.toString(shape));
            }
        }
        // Drop size-1 dims, then merge neighbours that are contiguous in every operand.
        int r = 0;
        int[] d = new int[shape.length];
        long[][] s = new long[n][shape.length];
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == 1) {
                continue;
            }
            d[r] = shape[i];
            for (int k = 0; k < n; k++) {
                s[k][r] = layouts[k].strides()[i];
            }
            r++;
        }
        int m = 0;
        for (int i = 0; i < r; i++) {
            if (m > 0) {
                boolean mergeable = true;
                for (int k = 0; k < n; k++) {
                    if (s[k][m - 1] != s[k][i] * d[i]) {
                        mergeable = false;
                        break;
                    }
                }
                if (mergeable && (long) d[m - 1] * d[i] <= Integer.MAX_VALUE) { // runs stay int-sized
                    d[m - 1] *= d[i];
                    for (int k = 0; k < n; k++) {
                        s[k][m - 1] = s[k][i];
                    }
                    continue;
                }
            }
            d[m] = d[i];
            for (int k = 0; k < n; k++) {
                s[k][m] = s[k][i];
            }
            m++;
        }
        long total = Layout.numel(shape);
        base = new long[n];
        offsets = new long[n];
        innerStrides = new long[n];
        for (int k = 0; k < n; k++) {
            base[k] = layouts[k].offset();
        }
        if (m == 0) {
            inner = total == 0 ? 0 : 1;
            dims = new int[0];
            strides = new long[n][0];
        } else {
            inner = d[m - 1];
            for (int k = 0; k < n; k++) {
                innerStrides[k] = s[k][m - 1];
            }
            dims = java.util.Arrays.copyOf(d, m - 1);
            strides = new long[n][];
            for (int k = 0; k < n; k++) {
                strides[k] = java.util.Arrays.copyOf(s[k], m - 1);
            }
        }
        counter = new int[dims.length];
        remaining = inner == 0 ? 0 : total / inner;
    }

    /** True while runs remain. */
    public boolean hasNext() {
        return remaining > 0;
    }

    /** Moves to the next run. */
    public void next() {
        remaining--;
        if (!started) {
            started = true;
            System.arraycopy(base, 0, offsets, 0, base.length);
            return;
        }
        for (int i = dims.length - 1; i >= 0; i--) {
            if (++counter[i] < dims[i]) {
                for (int k = 0; k < offsets.length; k++) {
                    offsets[k] += strides[k][i];
                }
                return;
            }
            counter[i] = 0;
            for (int k = 0; k < offsets.length; k++) {
                offsets[k] -= strides[k][i] * (dims[i] - 1);
            }
        }
    }

    /** Number of runs in total. */
    public long runs() {
        long n = inner == 0 ? 0 : 1;
        for (int d : dims) {
            n *= d;
        }
        return n;
    }

    /** Elements in each run. */
    public int inner() {
        return inner;
    }

    /** Start (element index) of the current run in operand {@code k}. */
    public long offset(int k) {
        return offsets[k];
    }

    /** Step between elements of a run in operand {@code k}. */
    public long innerStride(int k) {
        return innerStrides[k];
    }

    /**
     * Positions this iterator at run number {@code run} (0-based), so that ranges of runs can be handed to
     * different threads. The following {@link #next()} moves to run {@code run + 1}.
     */
    public void seek(long run) {
        long rest = run;
        for (int k = 0; k < offsets.length; k++) {
            offsets[k] = base[k];
        }
        for (int i = dims.length - 1; i >= 0; i--) {
            counter[i] = (int) (rest % dims[i]);
            rest /= dims[i];
            for (int k = 0; k < offsets.length; k++) {
                offsets[k] += counter[i] * strides[k][i];
            }
        }
        started = true;
        remaining = runs() - run - 1;
    }
}
