package dev.anvil.backend.vector;

import static dev.anvil.backend.vector.KernelFixture.REF;
import static dev.anvil.backend.vector.KernelFixture.VEC;
import static dev.anvil.backend.vector.KernelFixture.assertClose;
import static dev.anvil.backend.vector.KernelFixture.assertExact;
import static dev.anvil.backend.vector.KernelFixture.empty;
import static dev.anvil.backend.vector.KernelFixture.get;
import static dev.anvil.backend.vector.KernelFixture.put;
import static dev.anvil.backend.vector.KernelFixture.random;
import static dev.anvil.backend.vector.KernelFixture.strided;
import static dev.anvil.backend.vector.KernelFixture.transposed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anvil.DType;
import dev.anvil.spi.Layout;
import dev.anvil.spi.ReduceOp;
import dev.anvil.spi.View;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** reduce, argReduce and softmax against the reference backend. */
class ReductionKernelsTest {
    /** SUM: compensated F32 against the reference's double accumulation; MAX and MIN are exact. */
    static final double SUM_REL = 1e-6;
    static final double SUM_ABS = 1e-5;
    /** softmax: exp to a few ulp, then one scale; log-softmax absolute near 0. */
    static final double SOFTMAX_REL = 1e-6;
    static final double SOFTMAX_ABS = 1e-6;

    static int[] keptShape(int[] shape, int[] axes) {
        int[] out = shape.clone();
        for (int a : axes) {
            out[a] = 1;
        }
        return out;
    }

    /** Every non-empty subset of {0, .., rank-1}, as sorted axis lists. */
    static List<int[]> subsets(int rank) {
        List<int[]> all = new ArrayList<>();
        for (int mask = 1; mask < 1 << rank; mask++) {
            int[] axes = new int[Integer.bitCount(mask)];
            for (int a = 0, k = 0; a < rank; a++) {
                if ((mask & (1 << a)) != 0) {
                    axes[k++] = a;
                }
            }
            all.add(axes);
        }
        return all;
    }

    static void check(ReduceOp op, View x, int[] axes) {
        DType ot = op == ReduceOp.SUM && !x.dtype().isFloating() ? DType.I64 : x.dtype();
        int[] shape = keptShape(x.shape(), axes);
        View v = empty(VEC, ot, shape);
        View r = empty(REF, ot, shape);
        VEC.reduce(op, x, axes, v);
        REF.reduce(op, x, axes, r);
        String what = op + " " + x.dtype() + " " + x.layout() + " over " + java.util.Arrays.toString(axes);
        if (op == ReduceOp.SUM && x.dtype() == DType.F32) {
            assertClose(what, r, v, SUM_REL, SUM_ABS);
        } else if (op == ReduceOp.SUM && x.dtype() == DType.F64) {
            assertClose(what, r, v, 1e-13, 1e-12);
        } else {
            assertExact(what, r, v);
        }
    }

    @Test
    void reduceMatchesReferenceOverEveryAxisSubset() {
        for (DType t : new DType[] {DType.F32, DType.F64, DType.I32}) {
            List<View> inputs = List.of(
                    random(t, 1, 4, 5, 17),
                    strided(t, 2, new int[] {4, 5, 17}, new long[] {1, 4, 20}, 3),      // fully transposed
                    strided(t, 3, new int[] {4, 5, 17}, new long[] {200, 40, 2}, 1),    // every other element
                    strided(t, 4, new int[] {4, 5, 17}, new long[] {0, 17, 1}, 0));     // broadcast along axis 0
            for (View x : inputs) {
                for (int[] axes : subsets(3)) {
                    for (ReduceOp op : ReduceOp.values()) {
                        check(op, x, axes);
                    }
                }
            }
        }
    }

    @Test
    void reduceRowsColumnsAndFullOnTailsAndLargeInputs() {
        int[][] shapes = {{1, 1}, {3, 1}, {1, 3}, {15, 17}, {33, 1023}, {1023, 33}, {3, 20_001}, {20_001, 3},
            {2, 12_000}, {12_000, 2}, {300, 130}};
        for (int[] s : shapes) {
            View x = random(DType.F32, s[0] * 31L + s[1], s);
            for (int[] axes : new int[][] {{0}, {1}, {0, 1}}) {
                for (ReduceOp op : ReduceOp.values()) {
                    check(op, x, axes);
                }
            }
        }
        View t = transposed(DType.F32, 9, 1023, 65);
        for (int[] axes : new int[][] {{0}, {1}, {0, 1}}) {
            check(ReduceOp.SUM, t, axes);
            check(ReduceOp.MAX, t, axes);
        }
    }

    @Test
    void reducePropagatesNanAndInfinity() {
        for (int[] s : new int[][] {{7, 33}, {40, 50}}) {
            for (double special : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
                for (DType t : new DType[] {DType.F32, DType.F64}) {
                    View x = random(t, 5, s);
                    put(x, s[1] + 2, special);
                    put(x, (long) s[0] * s[1] - 1, special);
                    for (int[] axes : new int[][] {{0}, {1}, {0, 1}}) {
                        for (ReduceOp op : ReduceOp.values()) {
                            check(op, x, axes);
                        }
                    }
                }
            }
        }
    }

    @Test
    void sumOfSixteenMillionTenthsStaysAccurate() {
        int n = 16 << 20;
        View x = new View(VEC.allocate(4L * n, false), DType.F32, Layout.contiguous(n));
        VEC.fill(x, 0.1);
        View out = empty(VEC, DType.F32, 1);
        VEC.reduce(ReduceOp.SUM, x, new int[] {0}, out);
        double exact = (double) 0.1f * n;
        assertEquals(exact, get(out, 0), exact * 1e-6, "sum of 16M x 0.1f");
        // a column sum of 1M rows [1M, 16] -> [1, 16]
        View cols = new View(x.storage(), DType.F32, Layout.contiguous(1 << 20, 16));
        View colOut = empty(VEC, DType.F32, 1, 16);
        VEC.reduce(ReduceOp.SUM, cols, new int[] {0}, colOut);
        assertEquals(0.1f * (1 << 20), get(colOut, 15), 0.1f * (1 << 20) * 1e-6);
    }

    @Test
    void argReduceFindsFirstExtremumAndFirstNan() {
        for (DType t : new DType[] {DType.F32, DType.F64, DType.I32}) {
            List<View> inputs = new ArrayList<>(List.of(random(t, 1, 33, 17), random(t, 2, 3, 1023),
                    transposed(t, 3, 33, 17), random(t, 4, 1, 1), random(t, 5, 3, 20_001)));
            View ties = random(t, 6, 5, 40);
            KernelFixture.ties(ties);
            inputs.add(ties);
            if (t.isFloating()) {
                View nan = random(t, 7, 4, 35);
                put(nan, 20, Double.NaN);
                put(nan, 30, Double.NaN);
                put(nan, 40, Double.POSITIVE_INFINITY);
                put(nan, 140 - 1, Double.NEGATIVE_INFINITY);
                inputs.add(nan);
            }
            for (View x : inputs) {
                for (int axis = 0; axis < 2; axis++) {
                    for (boolean max : new boolean[] {true, false}) {
                        int[] shape = x.shape().clone();
                        shape[axis] = 1;
                        View v = empty(VEC, DType.I64, shape);
                        View r = empty(REF, DType.I64, shape);
                        VEC.argReduce(max, x, axis, v);
                        REF.argReduce(max, x, axis, r);
                        assertExact((max ? "argmax " : "argmin ") + t + " " + x.layout() + " axis " + axis, r, v);
                    }
                }
            }
        }
    }

    @Test
    void softmaxMatchesReferenceOnTailsAndLargeRows() {
        for (DType t : new DType[] {DType.F32, DType.F64}) {
            double rel = t == DType.F32 ? SOFTMAX_REL : 1e-13;
            double abs = t == DType.F32 ? SOFTMAX_ABS : 1e-13;
            for (int[] s : new int[][] {{1}, {4, 1}, {3, 3}, {5, 15}, {7, 17}, {2, 33}, {3, 1023}, {2, 20_000}, {500, 40}}) {
                View x = random(t, s.length * 7L + s[s.length - 1], s);
                for (boolean log : new boolean[] {false, true}) {
                    View v = empty(VEC, t, s);
                    View r = empty(REF, t, s);
                    VEC.softmax(x, v, log);
                    REF.softmax(x, r, log);
                    assertClose((log ? "log-softmax " : "softmax ") + t + " " + java.util.Arrays.toString(s), r, v, rel, abs);
                }
            }
        }
    }

    @Test
    void softmaxOfHugeLogitsStaysFinite() {
        View x = random(DType.F32, 1, 3, 9);
        double[][] rows = {
            {1e4, 0, -1e4, 1e4, 0, -1e4, 1e4, 0, -1e4},
            {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY,
                Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY,
                Double.NEGATIVE_INFINITY},
            {1, 2, Double.NaN, 4, 5, 6, 7, 8, 9}};
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 9; j++) {
                put(x, i * 9 + j, rows[i][j]);
            }
        }
        for (boolean log : new boolean[] {false, true}) {
            View v = empty(VEC, DType.F32, 3, 9);
            View r = empty(REF, DType.F32, 3, 9);
            VEC.softmax(x, v, log);
            REF.softmax(x, r, log);
            assertClose("softmax special rows", r, v, SOFTMAX_REL, SOFTMAX_ABS);
            for (int j = 0; j < 9; j++) {
                assertTrue(Double.isFinite(get(v, j)), "softmax of [1e4, 0, -1e4] is finite");
            }
        }
        View small = random(DType.F32, 2, 3);
        put(small, 0, 1e4);
        put(small, 1, 0);
        put(small, 2, -1e4);
        View out = empty(VEC, DType.F32, 3);
        VEC.softmax(small, out, false);
        assertEquals(1.0, get(out, 0));
        assertEquals(0.0, get(out, 1));
        assertEquals(0.0, get(out, 2));
    }

    @Test
    void softmaxInPlaceAndWithOffsets() {
        View x = strided(DType.F32, 3, new int[] {5, 33}, new long[] {33, 1}, 11);
        View r = empty(REF, DType.F32, 5, 33);
        REF.softmax(x, r, false);
        VEC.softmax(x, x, false);
        assertClose("softmax in place", r, x, SOFTMAX_REL, SOFTMAX_ABS);
        View y = random(DType.F32, 4, 5, 33);
        View rl = empty(REF, DType.F32, 5, 33);
        REF.softmax(y, rl, true);
        VEC.softmax(y, y, true);
        assertClose("log-softmax in place", rl, y, SOFTMAX_REL, SOFTMAX_ABS);
    }
}
