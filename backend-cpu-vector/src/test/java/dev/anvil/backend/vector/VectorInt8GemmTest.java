package dev.anvil.backend.vector;

import static dev.anvil.backend.vector.KernelFixture.REF;
import static dev.anvil.backend.vector.KernelFixture.VEC;
import static dev.anvil.backend.vector.KernelFixture.assertExact;
import static dev.anvil.backend.vector.KernelFixture.empty;
import static dev.anvil.backend.vector.KernelFixture.put;
import static dev.anvil.backend.vector.KernelFixture.values;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anvil.DType;
import dev.anvil.spi.Int8Gemm;
import dev.anvil.spi.View;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The SIMD int8 product against the reference kernel (bit for bit) and against exact integer arithmetic. */
class VectorInt8GemmTest {
    private static final Int8Gemm V = VEC.kernel(Int8Gemm.class).orElseThrow();
    private static final Int8Gemm R = REF.kernel(Int8Gemm.class).orElseThrow();

    private record Case(View x, View w, View scale, View bias) {
    }

    private static Case random(int m, int n, int k, long seed, boolean withBias) {
        SplittableRandom r = new SplittableRandom(seed);
        View x = empty(VEC, DType.F32, m, k);
        View w = empty(VEC, DType.I8, n, k);
        View s = empty(VEC, DType.F32, n);
        View b = withBias ? empty(VEC, DType.F32, n) : null;
        // written straight into the (contiguous) segments: the fixture's per-element put is slow for big cases
        for (int i = 0; i < m * k; i++) {
            x.segment().setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (r.nextGaussian() * 2)); // with a step of 3/127, a few clip
        }
        for (int i = 0; i < n * k; i++) {
            w.segment().set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt(-127, 128));
        }
        for (int j = 0; j < n; j++) {
            put(s, j, 0.001 + r.nextDouble() * 0.01);
            if (b != null) {
                put(b, j, r.nextGaussian());
            }
        }
        return new Case(x, w, s, b);
    }

    private static View run(Int8Gemm kernel, Case c, float xScale) {
        int m = c.x().shape()[0];
        int n = c.w().shape()[0];
        View out = empty(VEC, DType.F32, m, n);
        kernel.gemm(c.x(), xScale, kernel.prepare(c.w()), c.scale(), c.bias(), out);
        return out;
    }

    @Test
    void matchesTheReferenceBitForBitOnOddShapesAndTails() {
        int[] ms = {1, 2, 3, 5, 8, 13};
        int[] ns = {1, 3, 7, 8, 9, 17, 33};
        int[] ks = {1, 2, 3, 4, 5, 7, 31, 64, 785};
        long seed = 1;
        for (int m : ms) {
            for (int n : ns) {
                for (int k : ks) {
                    Case c = random(m, n, k, seed++, seed % 3 != 0);
                    assertExact("int8 gemm " + m + "x" + n + "x" + k, run(R, c, 3f / 127), run(V, c, 3f / 127));
                }
            }
        }
    }

    @Test
    void matchesTheReferenceWhenSplitOverThreadsByRowsAndByChannels() {
        Case rows = random(151, 40, 600, 7, true);
        assertExact("row split", run(R, rows, 0.05f), run(V, rows, 0.05f));
        Case channels = random(3, 1100, 517, 8, true);
        assertExact("channel split", run(R, channels, 0.05f), run(V, channels, 0.05f));
        // little work per row tile, so each thread gets more than one chunk of rows
        Case chunks = random(130, 8, 1100, 9, true);
        assertExact("row chunks", run(R, chunks, 0.05f), run(V, chunks, 0.05f));
        // deep enough that a panel of weights holds a single channel block
        Case panels = random(4, 24, 9001, 10, true);
        assertExact("weight panels", run(R, panels, 0.05f), run(V, panels, 0.05f));
    }

    @Test
    void integerSumsAreExactAtTheExtremes() {
        // every product +-127^2, in runs of one sign and alternating, so the 16-bit halves carry and borrow
        int m = 3;
        int n = 9;
        int k = 4099;
        View x = empty(VEC, DType.F32, m, k);
        View w = empty(VEC, DType.I8, n, k);
        View s = empty(VEC, DType.F32, n);
        long[][] expected = new long[m][n];
        for (int i = 0; i < m; i++) {
            for (int q = 0; q < k; q++) {
                put(x, (long) i * k + q, i == 0 ? 1e6 : (i == 1 ? -1e6 : (q % 2 == 0 ? 1e6 : -1e6)));
            }
        }
        for (int j = 0; j < n; j++) {
            put(s, j, 1);
            for (int q = 0; q < k; q++) {
                put(w, (long) j * k + q, j % 2 == 0 ? -127 : (q % 3 == 0 ? 127 : -127));
            }
        }
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                long acc = 0;
                for (int q = 0; q < k; q++) {
                    acc += (long) (x.segment().getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, (long) i * k + q) > 0 ? 127 : -127)
                            * (long) KernelFixture.get(w, (long) j * k + q);
                }
                expected[i][j] = acc;
            }
        }
        View out = empty(VEC, DType.F32, m, n);
        V.gemm(x, 1f, V.prepare(w), s, null, out);
        double[] got = values(out);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                assertEquals((float) expected[i][j], got[i * n + j], "element [" + i + ", " + j + "]");
            }
        }
    }

    @Test
    void nonFiniteAndHalfwayInputsQuantizeLikeTheReference() {
        Case c = random(3, 9, 21, 5, true);
        double[] special = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e30, -1e30, 0.5, 1.5, 2.5, -0.5,
            -2.5, 126.5, -126.5, 127.5, 3.4999, -0.0};
        for (int i = 0; i < special.length; i++) {
            put(c.x(), i * 4L, special[i]);
        }
        assertExact("special inputs", run(R, c, 1f), run(V, c, 1f));
    }

    @Test
    void rejectsBadOperandsBeforeRunning() {
        Case c = random(4, 5, 6, 3, true);
        Int8Gemm.Prepared w = V.prepare(c.w());
        View out = empty(VEC, DType.F32, 4, 5);
        var wrongDepth = assertThrows(IllegalArgumentException.class,
                () -> V.gemm(empty(VEC, DType.F32, 4, 7), 1f, w, c.scale(), c.bias(), out));
        assertTrue(wrongDepth.getMessage().contains("[m, 6]"), wrongDepth.getMessage());
        var wrongOut = assertThrows(IllegalArgumentException.class,
                () -> V.gemm(c.x(), 1f, w, c.scale(), c.bias(), empty(VEC, DType.F32, 4, 4)));
        assertTrue(wrongOut.getMessage().contains("[4, 5]"), wrongOut.getMessage());
        assertThrows(IllegalArgumentException.class, () -> V.gemm(c.x(), 1f, w, empty(VEC, DType.F32, 4), c.bias(), out));
        assertThrows(IllegalArgumentException.class, () -> V.gemm(c.x(), 0f, w, c.scale(), c.bias(), out));
        assertThrows(IllegalArgumentException.class, () -> V.gemm(c.x(), Float.NaN, w, c.scale(), c.bias(), out));
        var foreign = assertThrows(IllegalArgumentException.class,
                () -> V.gemm(c.x(), 1f, R.prepare(c.w()), c.scale(), c.bias(), out));
        assertTrue(foreign.getMessage().contains("prepared by another kernel"), foreign.getMessage());
        put(c.w(), 3, -128);
        var outOfRange = assertThrows(IllegalArgumentException.class, () -> V.prepare(c.w()));
        assertTrue(outOfRange.getMessage().contains("-128"), outOfRange.getMessage());
        assertThrows(IllegalArgumentException.class, () -> V.prepare(empty(VEC, DType.F32, 3, 3)));
    }
}
