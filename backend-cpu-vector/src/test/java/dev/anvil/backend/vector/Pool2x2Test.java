package dev.anvil.backend.vector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.anvil.spi.ConvGeometry;
import dev.anvil.spi.MaxPoolLoops;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The SIMD 2x2/2 pooling of ReLU outputs against the scalar kernel it replaces: the same maxima and the same
 * positions bit for bit (ties go to the first element in row-major order), NaN reported instead of guessed, and
 * the backward pass equal to the scalar scatter.
 */
class Pool2x2Test {
    /** {h, w}: the CNN's planes (one overlapping step per row; a row shorter than a step), odd and tiny sizes. */
    private static final int[][] PLANES = {{28, 28}, {14, 14}, {2, 2}, {4, 16}, {9, 11}, {7, 7}, {6, 30}, {16, 17}, {3, 8}, {17, 19}};

    /** A ReLU output: +0 often, ties between equal positive values often, an occasional +inf. */
    private static float[] reluPlane(SplittableRandom rng, int size, boolean ties) {
        float[] p = new float[size + Pool2x2.SLACK];
        for (int i = 0; i < size; i++) {
            float v = ties ? rng.nextInt(-2, 3) * 0.5f : (float) rng.nextGaussian();
            p[i] = rng.nextInt(200) == 0 ? Float.POSITIVE_INFINITY : Math.max(v, 0f);
        }
        return p;
    }

    private static ConvGeometry pool(int h, int w) {
        return new ConvGeometry(1, 1, h, w, 2, 2, 2, 2, 0, 0, 1, 1);
    }

    @Test
    void forwardFindsTheScalarKernelsMaximaAndPositions() {
        assumeTrue(Pool2x2.AVAILABLE, "needs 256-bit vectors");
        SplittableRandom rng = new SplittableRandom(7);
        for (int[] hw : PLANES) {
            ConvGeometry g = pool(hw[0], hw[1]);
            int pooled = g.outH() * g.outW();
            for (int trial = 0; trial < 20; trial++) {
                float[] act = reluPlane(rng, hw[0] * hw[1], trial % 2 == 0);
                float[] want = new float[pooled];
                long[] wantAt = new long[pooled];
                MaxPoolLoops.poolPlane(act, 0, g, want, wantAt, 0);
                float[] got = new float[pooled + 8];
                long[] gotAt = new long[pooled + 8];
                String what = hw[0] + "x" + hw[1] + " trial " + trial;
                assertTrue(Pool2x2.forward(act, hw[1], g.outH(), g.outW(), got, gotAt), what + ": no NaN, no fallback");
                assertArrayEquals(want, Arrays.copyOf(got, pooled), what + ": maxima");
                assertArrayEquals(wantAt, Arrays.copyOf(gotAt, pooled), what + ": positions");
            }
        }
    }

    @Test
    void aNaNInAWindowIsReportedAndOneOutsideAllWindowsIsNot() {
        assumeTrue(Pool2x2.AVAILABLE, "needs 256-bit vectors");
        SplittableRandom rng = new SplittableRandom(8);
        for (float nan : new float[] {Float.NaN, Float.intBitsToFloat(0xFFC0_0001)}) { // a negative NaN too
            float[] act = reluPlane(rng, 14 * 14, false);
            act[5 * 14 + 9] = nan;
            assertFalse(Pool2x2.forward(act, 14, 7, 7, new float[57], new long[57]), "NaN inside a window");
        }
        // 17x19: row 16 and column 18 belong to no window. (In rows of fewer than 8 windows a step also reads
        // past the row, so a NaN there may be reported too; the scalar kernel then pools the plane, exact either way.)
        ConvGeometry g = pool(17, 19);
        int pooled = g.outH() * g.outW();
        float[] act = reluPlane(rng, 17 * 19, true);
        act[16 * 19 + 3] = Float.NaN;
        act[2 * 19 + 18] = Float.NaN;
        float[] got = new float[pooled + 8];
        long[] gotAt = new long[pooled + 8];
        float[] want = new float[pooled];
        long[] wantAt = new long[pooled];
        MaxPoolLoops.poolPlane(act, 0, g, want, wantAt, 0);
        assertTrue(Pool2x2.forward(act, 19, g.outH(), g.outW(), got, gotAt));
        assertArrayEquals(want, Arrays.copyOf(got, pooled));
        assertArrayEquals(wantAt, Arrays.copyOf(gotAt, pooled));
    }

    @Test
    void backwardEqualsTheScalarScatter() {
        assumeTrue(Pool2x2.AVAILABLE, "needs 256-bit vectors");
        SplittableRandom rng = new SplittableRandom(9);
        for (int[] hw : PLANES) {
            ConvGeometry g = pool(hw[0], hw[1]);
            if (g.outW() < 4) {
                continue; // the caller keeps such rows on the scalar loop
            }
            int pooled = g.outH() * g.outW();
            for (int trial = 0; trial < 10; trial++) {
                float[] act = reluPlane(rng, hw[0] * hw[1], trial % 2 == 0);
                float[] value = new float[pooled + 8];
                long[] at = new long[pooled];
                MaxPoolLoops.poolPlane(act, 0, g, value, at, 0);
                float[] grad = new float[pooled + 8];
                for (int o = 0; o < pooled; o++) {
                    grad[o] = (float) rng.nextGaussian();
                }
                float[] want = new float[hw[0] * hw[1]];
                for (int o = 0; o < pooled; o++) {
                    if (value[o] > 0) {
                        want[(int) at[o]] += grad[o];
                    }
                }
                float[] got = new float[hw[0] * hw[1]];
                Arrays.fill(got, 42f); // every covered element must be written; the uncovered edge keeps 42
                assertTrue(Pool2x2.backward(grad, value, at, hw[1], g.outH(), g.outW(), got));
                for (int i = 0; i < hw[0]; i++) {
                    for (int j = 0; j < hw[1]; j++) {
                        boolean covered = i < 2 * g.outH() && j < 2 * g.outW();
                        assertEquals(covered ? want[i * hw[1] + j] : 42f, got[i * hw[1] + j],
                                hw[0] + "x" + hw[1] + " trial " + trial + " at (" + i + ", " + j + ")");
                    }
                }
            }
        }
    }

    @Test
    void backwardRefusesAPositionOutsideItsWindow() {
        assumeTrue(Pool2x2.AVAILABLE, "needs 256-bit vectors");
        int w = 8;
        float[] grad = new float[16 + 8];
        float[] value = new float[16 + 8];
        Arrays.fill(value, 1f);
        long[] at = new long[16];
        for (int o = 0; o < 16; o++) {
            at[o] = (o / 4) * 2 * w + (o % 4) * 2; // each window's top-left
        }
        assertTrue(Pool2x2.backward(grad, value, at, w, 4, 4, new float[64]));
        at[5] = at[6]; // in the plane, in the neighbour's window
        assertFalse(Pool2x2.backward(grad, value, at, w, 4, 4, new float[64]));
        at[5] = 64; // past the plane
        assertFalse(Pool2x2.backward(grad, value, at, w, 4, 4, new float[64]));
    }
}
