package dev.anvil.backend.vector;

import static dev.anvil.backend.vector.KernelFixture.REF;
import static dev.anvil.backend.vector.KernelFixture.VEC;
import static dev.anvil.backend.vector.KernelFixture.assertClose;
import static dev.anvil.backend.vector.KernelFixture.assertExact;
import static dev.anvil.backend.vector.KernelFixture.empty;
import static dev.anvil.backend.vector.KernelFixture.put;
import static dev.anvil.backend.vector.KernelFixture.random;
import static dev.anvil.backend.vector.KernelFixture.strided;
import static dev.anvil.backend.vector.KernelFixture.transposed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anvil.DType;
import dev.anvil.spi.Axpy;
import dev.anvil.spi.BinaryOp;
import dev.anvil.spi.Layout;
import dev.anvil.spi.ReluBackward;
import dev.anvil.spi.UnaryOp;
import dev.anvil.spi.View;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** fill, copy and casts, unary, binary, where, axpy and host transfers against the reference backend. */
class ElementwiseKernelsTest {
    /** Sizes that leave SIMD tails on every register width. */
    static final int[] SIZES = {1, 3, 15, 17, 33, 1023};
    /** Above the threading threshold (2 x Runs.GRAIN, 8192 in the tests: see the pom), so split paths run; used sparingly, the reference is slow. */
    static final int BIG = 20_001;

    /** Operand layouts of shape [17, 33]: dense, offset, transposed, every-other-element. */
    static List<View> layouts(DType t, long seed) {
        List<View> views = new ArrayList<>();
        views.add(random(t, seed, 17, 33));
        views.add(strided(t, seed + 1, new int[] {17, 33}, new long[] {33, 1}, 7));
        views.add(transposed(t, seed + 2, 17, 33));
        views.add(strided(t, seed + 3, new int[] {17, 33}, new long[] {70, 2}, 3));
        return views;
    }

    // ---------------------------------------------------------------- fill and copy

    @Test
    void fillWritesEveryDtypeInAnyLayout() {
        for (DType t : DType.values()) {
            for (int n : SIZES) {
                View v = empty(VEC, t, n);
                View r = empty(REF, t, n);
                VEC.fill(v, -2.75);
                REF.fill(r, -2.75);
                assertExact("fill " + t + " x" + n, r, v);
            }
            View s = strided(t, 1, new int[] {5, 7}, new long[] {20, 2}, 3);
            View sr = strided(t, 1, new int[] {5, 7}, new long[] {20, 2}, 3);
            VEC.fill(s, 3.5);
            REF.fill(sr, 3.5);
            assertExact("fill strided " + t, full(sr), full(s));
            VEC.fill(new View(s.storage(), t, Layout.contiguous(0)), 1); // numel 0 must be a no-op
        }
    }

    /** The whole storage of v as a flat view, to check that nothing outside the layout was touched. */
    static View full(View v) {
        return new View(v.storage(), v.dtype(), Layout.contiguous((int) (v.storage().byteSize() / v.dtype().byteSize())));
    }

    @Test
    void copyMatchesReferenceForEveryPairOfDtypesAndLayouts() {
        for (DType from : DType.values()) {
            for (DType to : DType.values()) {
                List<View> srcs = layouts(from, from.ordinal() * 31L + to.ordinal());
                // Special values a cast must treat exactly like the reference (NaN -> 0, wrap-around via long).
                View special = random(from, 5, 16);
                double[] odd = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 3e9, -3e9, 300.7,
                    -0.0, -1.5, 65504, 1e-40, 255.9, 256, -129.5, 1e20, 2.5, 1};
                for (int i = 0; i < odd.length; i++) {
                    put(special, i, odd[i]);
                }
                srcs.add(special);
                srcs.add(random(from, 6, 1023));
                if (from == DType.F32 || to == DType.F32 && (from == DType.F64 || from == DType.I32)) {
                    srcs.add(random(from, 7, BIG));
                }
                for (View src : srcs) {
                    View v = empty(VEC, to, src.shape());
                    View r = empty(REF, to, src.shape());
                    VEC.copy(src, v);
                    REF.copy(src, r);
                    assertExact("copy " + from + " -> " + to + " " + src.layout(), r, v);
                }
            }
        }
    }

    @Test
    void copyMaterialisesTransposesTileByTile() {
        List<View> srcs = new ArrayList<>();
        for (DType t : new DType[] {DType.F32, DType.F64, DType.I32, DType.I64, DType.F16}) {
            srcs.add(transposed(t, 1, 40, 70));                                                       // 2-D, ragged tiles
            srcs.add(strided(t, 2, new int[] {3, 33, 65}, new long[] {1, 3 * 65, 3}, 4));            // 3-D permutation
            srcs.add(strided(t, 3, new int[] {2, 64, 5, 32}, new long[] {64 * 5 * 32, 1, 64, 5 * 64}, 0)); // 4-D
        }
        for (View src : srcs) {
            View v = empty(VEC, src.dtype(), src.shape());
            View r = empty(REF, src.dtype(), src.shape());
            VEC.copy(src, v);
            REF.copy(src, r);
            assertExact("transpose copy " + src.dtype() + " " + src.layout(), r, v);
        }
    }

    @Test
    void copyIntoStridedDestinationAndEmpty() {
        View src = random(DType.F32, 3, 17, 33);
        View v = strided(DType.F64, 4, new int[] {17, 33}, new long[] {1, 17}, 2);
        View r = strided(DType.F64, 4, new int[] {17, 33}, new long[] {1, 17}, 2);
        VEC.copy(src, v);
        REF.copy(src, r);
        assertExact("copy into transposed F64", full(r), full(v));
        View none = new View(src.storage(), DType.F32, Layout.contiguous(0, 5));
        VEC.copy(none, new View(v.storage(), DType.F64, Layout.contiguous(0, 5)));
    }

    @Test
    void hostTransfersRoundTrip() {
        try (Arena arena = Arena.ofConfined()) {
            for (int n : SIZES) {
                MemorySegment host = arena.allocate(4L * n, 4);
                for (int i = 0; i < n; i++) {
                    host.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, i * 0.5f);
                }
                View v = new View(VEC.allocate(4L * n + 12, false), DType.F32, new Layout(new int[] {n}, new long[] {1}, 3));
                VEC.copyFromHost(host, v);
                for (int i = 0; i < n; i++) {
                    assertEquals(i * 0.5, KernelFixture.get(v, i));
                }
                MemorySegment back = arena.allocate(4L * n, 4);
                VEC.copyToHost(v, back);
                assertEquals(-1, host.mismatch(back));
            }
        }
    }

    // ---------------------------------------------------------------- unary

    /** Relative tolerance of each F32 unary op (absolute tolerance 1e-6 for results near 0, where relative error is meaningless). */
    static double tolerance(UnaryOp op) {
        return switch (op) {
            case NEG, ABS, RELU, SQRT -> 0;      // exact (sqrt is correctly rounded in F32 and F64)
            case RSQRT -> 2e-7;                   // two roundings
            case EXP, LOG, SIN, COS -> 1e-6;      // SVML / SLEEF lane-wise, a few ulp
            case TANH, SIGMOID -> 1e-6;
            case GELU -> 1e-5;                    // erfc fit of 1.2e-7 plus F32 rounding; see UnaryKernels.gelu
        };
    }

    @Test
    void unaryF32MatchesReferenceOnTailsStridesAndSpecialValues() {
        for (UnaryOp op : UnaryOp.values()) {
            double rel = tolerance(op);
            double abs = rel == 0 ? 0 : 1e-6;
            List<View> inputs = layouts(DType.F32, op.ordinal());
            for (int n : SIZES) {
                inputs.add(random(DType.F32, n, n));
            }
            inputs.add(random(DType.F32, 77, BIG));
            View special = random(DType.F32, 9, 40);
            double[] odd = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0, -0.0, 88, 89, -87, -104,
                1e-30, -1e-30, 20, -20, 9, -9, 5.5, -5.5, 3e38, -3e38, 100};
            for (int i = 0; i < odd.length; i++) {
                put(special, i, odd[i]);
            }
            inputs.add(special);
            for (View x : inputs) {
                View v = empty(VEC, DType.F32, x.shape());
                View r = empty(REF, DType.F32, x.shape());
                VEC.unary(op, x, v);
                REF.unary(op, x, r);
                assertClose(op + " " + x.layout(), r, v, rel, abs);
            }
        }
    }

    @Test
    void geluKeepsRelativeAccuracyForNegativeInputs() {
        View x = random(DType.F32, 1, 2001);
        for (int i = 0; i < 2001; i++) {
            put(x, i, -5.5 + i * 0.0055); // [-5.5, 5.5]: gelu spans 1e-7 .. 5.5
        }
        View v = empty(VEC, DType.F32, 2001);
        View r = empty(REF, DType.F32, 2001);
        VEC.unary(UnaryOp.GELU, x, v);
        REF.unary(UnaryOp.GELU, x, r);
        assertClose("gelu on [-5.5, 5.5]", r, v, 1e-6, 1e-12);
    }

    @Test
    void unaryInPlaceAndOtherDtypes() {
        View x = random(DType.F32, 2, 1023);
        View copy = empty(REF, DType.F32, 1023);
        REF.copy(x, copy);
        REF.unary(UnaryOp.TANH, copy, copy);
        VEC.unary(UnaryOp.TANH, x, x);
        assertClose("tanh in place", copy, x, 1e-6, 1e-6);
        for (DType t : new DType[] {DType.F64, DType.I32, DType.I64, DType.F16, DType.BF16}) {
            for (UnaryOp op : UnaryOp.values()) {
                if (!t.isFloating() && !op.integral()) {
                    continue;
                }
                for (View in : layouts(t, op.ordinal())) {
                    View v = empty(VEC, t, in.shape());
                    View r = empty(REF, t, in.shape());
                    VEC.unary(op, in, v);
                    REF.unary(op, in, r);
                    assertExact(op + " " + t, r, v); // F64 runs the reference's own scalar math
                }
            }
        }
    }

    // ---------------------------------------------------------------- binary

    /** F32 tolerances: + - * / max min and comparisons are exact (F64 rounding to F32 equals F32 rounding). */
    static double tolerance(BinaryOp op) {
        return op == BinaryOp.POW ? 1e-6 : 0;
    }

    /** Pairs (a, b) of shape [17, 33] in every layout combination the kernels special-case, and some they do not. */
    static List<View[]> pairs(DType t, long seed, boolean big) {
        List<View[]> pairs = new ArrayList<>();
        int[] s = {17, 33};
        View dense = random(t, seed, s);
        pairs.add(new View[] {dense, random(t, seed + 1, s)});
        pairs.add(new View[] {dense, strided(t, seed + 2, s, new long[] {0, 0}, 4)});   // tensor op scalar
        pairs.add(new View[] {strided(t, seed + 3, s, new long[] {0, 0}, 0), dense});   // scalar op tensor
        pairs.add(new View[] {dense, strided(t, seed + 4, s, new long[] {0, 1}, 2)});   // bias row [1, 33]
        pairs.add(new View[] {strided(t, seed + 5, s, new long[] {0, 1}, 0), dense});   // row op tensor
        pairs.add(new View[] {dense, strided(t, seed + 6, s, new long[] {1, 0}, 1)});   // per-row scale [17, 1]
        pairs.add(new View[] {transposed(t, seed + 7, 17, 33), dense});
        pairs.add(new View[] {strided(t, seed + 8, s, new long[] {70, 2}, 5), transposed(t, seed + 9, 17, 33)});
        for (int n : SIZES) {
            pairs.add(new View[] {random(t, seed + n, n), random(t, seed - n, n)});
            pairs.add(new View[] {random(t, seed + n, n), strided(t, seed, new int[] {n}, new long[] {0}, 1)});
        }
        if (big) {
            pairs.add(new View[] {random(t, seed + 1, BIG), random(t, seed + 2, BIG)});
            pairs.add(new View[] {strided(t, seed + 3, new int[] {BIG}, new long[] {0}, 1), random(t, seed + 4, BIG)});
        }
        return pairs;
    }

    @Test
    void binaryF32MatchesReferenceForEveryOpAndLayout() {
        for (BinaryOp op : BinaryOp.values()) {
            for (View[] p : pairs(DType.F32, op.ordinal() * 100L, true)) {
                View a = p[0];
                View b = p[1];
                if (op.isComparison()) {
                    KernelFixture.ties(a);
                    KernelFixture.ties(b);
                }
                DType ot = op.isComparison() ? DType.BOOL : DType.F32;
                View v = empty(VEC, ot, a.shape());
                View r = empty(REF, ot, a.shape());
                VEC.binary(op, a, b, v);
                REF.binary(op, a, b, r);
                assertClose(op + " " + a.layout() + " " + b.layout(), r, v, tolerance(op), 0);
            }
        }
    }

    @Test
    void binaryPropagatesNanAndInfinity() {
        double[] odd = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0, -0.0, 1, -1, 2, -2, 0.5,
            Double.NaN, 3, Double.POSITIVE_INFINITY, -0.0, 7, -8};
        View a = random(DType.F32, 1, 16 * 16);
        View b = random(DType.F32, 2, 16 * 16);
        for (int i = 0; i < 16; i++) {
            for (int j = 0; j < 16; j++) {
                put(a, i * 16 + j, odd[i]);
                put(b, i * 16 + j, odd[j]);
            }
        }
        for (BinaryOp op : BinaryOp.values()) {
            for (DType t : new DType[] {DType.F32, DType.F64}) {
                View at = empty(REF, t, 256);
                View bt = empty(REF, t, 256);
                REF.copy(a, at);
                REF.copy(b, bt);
                DType ot = op.isComparison() ? DType.BOOL : t;
                View v = empty(VEC, ot, 256);
                View r = empty(REF, ot, 256);
                VEC.binary(op, at, bt, v);
                REF.binary(op, at, bt, r);
                assertClose(op + " " + t + " special values", r, v, op == BinaryOp.POW ? 1e-6 : 0, 0);
            }
        }
    }

    @Test
    void binaryF64AndIntegersAndInPlace() {
        for (BinaryOp op : BinaryOp.values()) {
            for (DType t : new DType[] {DType.F64, DType.I32, DType.I64}) {
                for (View[] p : pairs(t, op.ordinal(), t == DType.F64 && op == BinaryOp.ADD)) {
                    if (!t.isFloating() && (op == BinaryOp.DIV || op == BinaryOp.POW)) {
                        continue; // integer division by zero / negative powers throw in both backends
                    }
                    DType ot = op.isComparison() ? DType.BOOL : t;
                    View v = empty(VEC, ot, p[0].shape());
                    View r = empty(REF, ot, p[0].shape());
                    VEC.binary(op, p[0], p[1], v);
                    REF.binary(op, p[0], p[1], r);
                    assertClose(op + " " + t, r, v, op == BinaryOp.POW ? 1e-12 : 0, 0);
                }
            }
        }
        View y = random(DType.F32, 1, 1023);
        View bias = strided(DType.F32, 2, new int[] {1023}, new long[] {0}, 0);
        View expected = empty(REF, DType.F32, 1023);
        REF.binary(BinaryOp.ADD, y, bias, expected);
        VEC.binary(BinaryOp.ADD, y, bias, y);
        assertExact("add in place", expected, y);
    }

    @Test
    void whereSelectsForAnyDtypeAndLayout() {
        for (DType t : new DType[] {DType.F32, DType.F64, DType.I64, DType.U8, DType.F16}) {
            for (View[] p : pairs(t, t.ordinal(), t == DType.F32)) {
                View cond = random(DType.BOOL, 11, p[0].shape());
                View v = empty(VEC, t, p[0].shape());
                View r = empty(REF, t, p[0].shape());
                VEC.where(cond, p[0], p[1], v);
                REF.where(cond, p[0], p[1], r);
                assertExact("where " + t, r, v);
            }
        }
        View cond = strided(DType.BOOL, 1, new int[] {17, 33}, new long[] {1, 0}, 0); // broadcast condition
        View a = random(DType.F32, 2, 17, 33);
        View b = transposed(DType.F32, 3, 17, 33);
        View v = empty(VEC, DType.F32, 17, 33);
        View r = empty(REF, DType.F32, 17, 33);
        VEC.where(cond, a, b, v);
        REF.where(cond, a, b, r);
        assertExact("where broadcast cond", r, v);
    }

    @Test
    void axpyFusedKernelMatchesComposition() {
        Axpy axpy = VEC.kernel(Axpy.class).orElseThrow();
        for (DType t : new DType[] {DType.F32, DType.F64}) {
            for (int n : new int[] {1, 3, 15, 17, 33, 1023, BIG}) {
                View x = random(t, 1, n);
                View y = random(t, 2, n);
                double[] before = KernelFixture.values(y);
                double[] xs = KernelFixture.values(x);
                axpy.axpy(-0.3, x, y);
                double[] after = KernelFixture.values(y);
                for (int i = 0; i < n; i++) {
                    double expect = before[i] + -0.3 * xs[i];
                    // one FMA rounding in F32 vs the exact value: 1 ulp of the larger term
                    double tol = (t == DType.F32 ? 2e-7 : 4e-16) * (Math.abs(before[i]) + Math.abs(0.3 * xs[i]));
                    assertTrue(Math.abs(after[i] - expect) <= tol, "axpy " + t + " element " + i);
                }
            }
        }
        assertTrue(VEC.kernel(String.class).isEmpty());
    }

    @Test
    void reluBackwardFusedKernelMatchesTheComposedSelect() {
        ReluBackward relu = VEC.kernel(ReluBackward.class).orElseThrow();
        for (DType t : new DType[] {DType.F32, DType.F64}) {
            for (int n : new int[] {1, 7, 17, 1023, BIG, 300_000}) { // the last one split over threads
                View x = random(t, 1, n);
                put(x, 0, Double.NaN);               // NaN, signed zeros and a tiny positive among the values
                put(x, n / 2, -0.0);
                put(x, n - 1, n > 2 ? 0.0 : 1e-30);
                View g = random(t, 2, n);
                View v = empty(VEC, t, n);
                relu.reluBackward(x, g, v);
                View cond = empty(REF, DType.BOOL, n);
                View zero = new View(REF.allocate(t.byteSize(), true), t, new Layout(new int[] {n}, new long[] {0}, 0));
                View r = empty(REF, t, n);
                REF.binary(BinaryOp.GT, x, zero, cond);
                REF.where(cond, g, zero, r);
                assertExact("reluBackward " + t + " n=" + n, r, v);
            }
        }
        View f = random(DType.F32, 1, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> relu.reluBackward(f, random(DType.F64, 2, 4), random(DType.F32, 3, 4)));
        assertTrue(e.getMessage().contains("F64"), e.getMessage());
    }
}
