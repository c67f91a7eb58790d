package dev.anvil.backend.cuda;

import dev.anvil.spi.Layout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * The geometry a kernel walks: a shape and, for each of up to four operands, element strides and an offset.
 * Packed byte for byte as the {@code Strided} struct of {@code anvil_common.cuh} and passed by value.
 *
 * <p>Size-1 dimensions are dropped and neighbours that are contiguous in every operand merged (as
 * {@link dev.anvil.spi.StridedIter} does), so any dense tensor becomes rank 1 and the kernel needs no
 * division at all. Geometries that still have more than {@link #MAX_RANK} dimensions are split on the host
 * into one launch per index of the leading dimensions ({@link #forEachLaunch}).
 */
final class Strided {
    static final int MAX_RANK = 8;
    static final int MAX_OPS = 4;
    /** sizeof(Strided) in anvil_common.cuh. */
    static final int BYTES = 328;
    private static final long NARROW_AT = 36;
    private static final long STRIDES_AT = 40;
    private static final long OFFSETS_AT = 296;

    final int[] dims;
    final long[][] strides;
    final long[] offsets;
    final long numel;

    private Strided(int[] dims, long[][] strides, long[] offsets) {
        this.dims = dims;
        this.strides = strides;
        this.offsets = offsets;
        this.numel = Layout.numel(dims);
    }

    int rank() {
        return dims.length;
    }

    int operands() {
        return offsets.length;
    }

    /** Walks {@code shape} over each layout (whose shapes must equal {@code shape}). */
    static Strided of(int[] shape, Layout... layouts) {
        long[][] s = new long[layouts.length][];
        long[] off = new long[layouts.length];
        for (int k = 0; k < layouts.length; k++) {
            if (!Arrays.equals(layouts[k].shape(), shape)) {
                throw new IllegalArgumentException("cuda: layout " + layouts[k] + " does not have shape " + Arrays.toString(shape));
            }
            s[k] = layouts[k].strides();
            off[k] = layouts[k].offset();
        }
        return merged(shape, s, off);
    }

    /** Walks {@code shape} with explicit per-operand strides and offsets. */
    static Strided merged(int[] shape, long[][] strides, long[] offsets) {
        int n = offsets.length;
        if (n < 1 || n > MAX_OPS) {
            throw new IllegalArgumentException("cuda: " + n + " operands; kernels take 1 to " + MAX_OPS);
        }
        int[] d = new int[shape.length];
        long[][] s = new long[n][shape.length];
        int r = 0;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == 1) {
                continue;
            }
            if (shape[i] == 0) { // nothing to walk
                return new Strided(new int[] {0}, new long[n][1], offsets.clone());
            }
            if (r > 0) {
                boolean mergeable = true;
                for (int k = 0; k < n; k++) {
                    if (s[k][r - 1] != strides[k][i] * shape[i]) {
                        mergeable = false;
                        break;
                    }
                }
                if (mergeable) {
                    d[r - 1] *= shape[i];
                    for (int k = 0; k < n; k++) {
                        s[k][r - 1] = strides[k][i];
                    }
                    continue;
                }
            }
            d[r] = shape[i];
            for (int k = 0; k < n; k++) {
                s[k][r] = strides[k][i];
            }
            r++;
        }
        long[][] trimmed = new long[n][];
        for (int k = 0; k < n; k++) {
            trimmed[k] = Arrays.copyOf(s[k], r);
        }
        return new Strided(Arrays.copyOf(d, r), trimmed, offsets.clone());
    }

    /**
     * Calls {@code launch} once per piece of at most {@link #MAX_RANK} dimensions: once for almost every
     * tensor, and once per index of the extra leading dimensions otherwise.
     */
    void forEachLaunch(Consumer<Strided> launch) {
        if (numel == 0) {
            return;
        }
        if (rank() <= MAX_RANK) {
            launch.accept(this);
            return;
        }
        int lead = rank() - MAX_RANK;
        int n = operands();
        int[] innerDims = Arrays.copyOfRange(dims, lead, rank());
        long[][] innerStrides = new long[n][];
        for (int k = 0; k < n; k++) {
            innerStrides[k] = Arrays.copyOfRange(strides[k], lead, rank());
        }
        int[] counter = new int[lead];
        long outer = Layout.numel(Arrays.copyOf(dims, lead));
        for (long c = 0; c < outer; c++) {
            long[] off = offsets.clone();
            for (int i = 0; i < lead; i++) {
                for (int k = 0; k < n; k++) {
                    off[k] += counter[i] * strides[k][i];
                }
            }
            launch.accept(new Strided(innerDims, innerStrides, off));
            for (int i = lead - 1; i >= 0; i--) {
                if (++counter[i] < dims[i]) {
                    break;
                }
                counter[i] = 0;
            }
        }
    }

    /** Writes the struct (requires {@code rank() <= MAX_RANK}) at {@code at}; unused slots are zero. */
    void writeTo(MemorySegment seg, long at) {
        if (rank() > MAX_RANK) {
            throw new IllegalStateException("cuda: geometry of rank " + rank() + " must be split first");
        }
        seg.asSlice(at, BYTES).fill((byte) 0);
        seg.set(ValueLayout.JAVA_INT_UNALIGNED, at, rank());
        for (int i = 0; i < rank(); i++) {
            seg.set(ValueLayout.JAVA_INT_UNALIGNED, at + 4 + 4L * i, dims[i]);
        }
        seg.set(ValueLayout.JAVA_INT_UNALIGNED, at + NARROW_AT, numel <= Integer.MAX_VALUE ? 1 : 0);
        for (int k = 0; k < operands(); k++) {
            for (int i = 0; i < rank(); i++) {
                seg.set(ValueLayout.JAVA_LONG_UNALIGNED, at + STRIDES_AT + 8L * (k * MAX_RANK + i), strides[k][i]);
            }
            seg.set(ValueLayout.JAVA_LONG_UNALIGNED, at + OFFSETS_AT + 8L * k, offsets[k]);
        }
    }

    /** Operand {@code k}'s element offset of the {@code i}-th element, exactly as the kernels' locate(). */
    long locate(long i, int k) {
        long o = offsets[k];
        long rest = i;
        for (int d = rank() - 1; d >= 1; d--) {
            o += (rest % dims[d]) * strides[k][d];
            rest /= dims[d];
        }
        return rank() == 0 ? o : o + rest * strides[k][0];
    }

    @Override
    public String toString() {
        return "Strided" + Arrays.toString(dims) + " strides " + Arrays.deepToString(strides) + " offsets "
                + Arrays.toString(offsets);
    }
}
