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
        int rank = shape.length;
        for (Layout l : layouts) {
            if (l.rank() != rank) {
                throw mismatch(l, shape);
            }
            for (int i = 0; i < rank; i++) {
                if (l.dim(i) != shape[i]) {
                    throw mismatch(l, shape);
                }
            }
        }
        // Drop size-1 dims, then merge neighbours that are contiguous in every operand (runs stay int-sized).
        // Strides are kept flat, [dim * n + operand], so construction costs a handful of small arrays.
        int[] d = new int[rank];
        long[] s = new long[rank * n];
        int m = 0;
        for (int i = 0; i < rank; i++) {
            int size = shape[i];
            if (size == 1) {
                continue;
            }
            if (m > 0) {
                boolean mergeable = (long) d[m - 1] * size <= Integer.MAX_VALUE;
                for (int k = 0; k < n && mergeable; k++) {
                    mergeable = s[(m - 1) * n + k] == layouts[k].stride(i) * size;
                }
                if (mergeable) {
                    d[m - 1] *= size;
                    for (int k = 0; k < n; k++) {
                        s[(m - 1) * n + k] = layouts[k].stride(i);
                    }
                    continue;
                }
            }
            d[m] = size;
            for (int k = 0; k < n; k++) {
                s[m * n + k] = layouts[k].stride(i);
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
                innerStrides[k] = s[(m - 1) * n + k];
            }
            dims = java.util.Arrays.copyOf(d, m - 1);
            strides = new long[n][m - 1];
            for (int k = 0; k < n; k++) {
                for (int i = 0; i < m - 1; i++) {
                    strides[k][i] = s[i * n + k];
                }
            }
        }
        counter = new int[dims.length];
        remaining = inner == 0 ? 0 : total / inner;
    }

    private static IllegalArgumentException mismatch(Layout l, int[] shape) {
        return new IllegalArgumentException("strided iteration: layout " + l + " does not have shape "
                + java.util.Arrays.toString(shape));
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
