package dev.anvil.backend.vector;

import static org.junit.jupiter.api.Assertions.fail;

import dev.anvil.DType;
import dev.anvil.backend.reference.ReferenceBackend;
import dev.anvil.spi.Backend;
import dev.anvil.spi.HostAccess;
import dev.anvil.spi.Layout;
import dev.anvil.spi.StridedIter;
import dev.anvil.spi.View;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Shared helpers of the kernel tests: seeded random views of any layout, and element-wise comparison of a
 * vector-backend result with the reference backend's result for the same inputs.
 */
final class KernelFixture {
    static final VectorBackend VEC = new VectorBackend();
    static final ReferenceBackend REF = new ReferenceBackend();

    private KernelFixture() {
    }

    /** A contiguous view of {@code shape} filled with seeded random values of dtype {@code t}. */
    static View random(DType t, long seed, int... shape) {
        return random(t, Layout.contiguous(shape), seed);
    }

    /** A view with exactly {@code layout} over a storage whose every element (reachable or not) is random. */
    static View random(DType t, Layout layout, long seed) {
        long n = Math.max(1, layout.maxIndex() + 1);
        View v = new View(VEC.allocate(n * t.byteSize(), false), t, layout);
        SplittableRandom r = new SplittableRandom(seed);
        MemorySegment s = v.segment();
        for (long i = 0; i < n; i++) {
            HostAccess.putDouble(s, t, i, value(t, r));
        }
        return v;
    }

    static double value(DType t, SplittableRandom r) {
        return switch (t) {
            case F32, F64, F16, BF16 -> r.nextGaussian() * 3;
            case U8 -> r.nextInt(256);
            case BOOL -> r.nextInt(2);
            case I8 -> r.nextInt(-128, 128);
            default -> r.nextInt(-50, 51);
        };
    }

    /** Replaces every element of v's storage by a small integer (-1, 0 or 1), so comparisons meet many ties. */
    static void ties(View v) {
        MemorySegment s = v.segment();
        long n = s.byteSize() / v.dtype().byteSize();
        for (long i = 0; i < n; i++) {
            double x = HostAccess.getDouble(s, v.dtype(), i);
            HostAccess.putDouble(s, v.dtype(), i, Double.isNaN(x) ? x : Math.floorMod(Math.round(x), 3) - 1);
        }
    }

    /** A fresh contiguous view for an output, pre-filled with garbage so unwritten elements show up. */
    static View empty(Backend b, DType t, int... shape) {
        long n = Math.max(1, Layout.numel(shape));
        View v = new View(b.allocate(n * t.byteSize(), false), t, Layout.contiguous(shape));
        b.fill(new View(v.storage(), t, Layout.contiguous((int) n)), 12345);
        return v;
    }

    /** A view of {@code shape} with {@code strides} and {@code offset}, all other elements random. */
    static View strided(DType t, long seed, int[] shape, long[] strides, long offset) {
        return random(t, new Layout(shape, strides, offset), seed);
    }

    /** x's transpose-of-a-transpose: shape [rows, cols] stored column-major (strides 1, rows). */
    static View transposed(DType t, long seed, int rows, int cols) {
        return strided(t, seed, new int[] {rows, cols}, new long[] {1, rows}, 0);
    }

    /** Sets element {@code linear} (row-major over the view's shape) of v. */
    static void put(View v, long linear, double value) {
        HostAccess.putDouble(v.segment(), v.dtype(), v.layout().indexOfLinear(linear), value);
    }

    static double get(View v, long linear) {
        return HostAccess.getDouble(v.segment(), v.dtype(), v.layout().indexOfLinear(linear));
    }

    /** A copy of v as doubles, in row-major order of its shape. */
    static double[] values(View v) {
        double[] out = new double[(int) v.numel()];
        var it = new StridedIter(v.shape(), v.layout());
        int k = 0;
        while (it.hasNext()) {
            it.next();
            for (int i = 0; i < it.inner(); i++) {
                out[k++] = HostAccess.getDouble(v.segment(), v.dtype(), it.offset(0) + i * it.innerStride(0));
            }
        }
        return out;
    }

    /**
     * Asserts every element agrees: NaN with NaN, infinities exactly, finite values within
     * {@code abs + rel * |expected|}.
     */
    static void assertClose(String what, View expected, View actual, double rel, double abs) {
        if (!Arrays.equals(expected.shape(), actual.shape())) {
            fail(what + ": shape " + Arrays.toString(actual.shape()) + ", expected " + Arrays.toString(expected.shape()));
        }
        double[] e = values(expected);
        double[] a = values(actual);
        for (int i = 0; i < e.length; i++) {
            if (!close(e[i], a[i], rel, abs)) {
                fail(what + ": element " + i + " of " + Arrays.toString(expected.shape()) + " is " + a[i] + ", reference "
                        + e[i] + " (rel " + rel + ", abs " + abs + ")");
            }
        }
    }

    static boolean close(double e, double a, double rel, double abs) {
        if (Double.isNaN(e) || Double.isNaN(a)) {
            return Double.isNaN(e) && Double.isNaN(a);
        }
        if (Double.isInfinite(e) || Double.isInfinite(a)) {
            return e == a;
        }
        return Math.abs(e - a) <= abs + rel * Math.abs(e);
    }

    static void assertExact(String what, View expected, View actual) {
        assertClose(what, expected, actual, 0, 0);
    }
}
