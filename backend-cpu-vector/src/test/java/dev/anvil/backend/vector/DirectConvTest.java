package dev.anvil.backend.vector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.anvil.Backends;
import dev.anvil.DType;
import dev.anvil.MemoryScope;
import dev.anvil.Shape;
import dev.anvil.Tensor;
import dev.anvil.spi.ConvGeometry;
import dev.anvil.spi.View;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The direct first-layer convolution (input without a gradient) against the im2col form on the same backend
 * (the same call with an input that needs a gradient). With small integers everywhere every product and sum is
 * exact in either order, so outputs, pooling positions and weight and bias gradients must agree bit for bit; with
 * Gaussian data they agree to rounding.
 */
class DirectConvTest {
    /** {n, c, h, w, out, k, padding, pool kernel, pool stride}. */
    private static final int[][] CASES = {
        {3, 1, 28, 28, 8, 3, 1, 2, 2},   // the CNN's first layer
        {2, 3, 13, 11, 5, 5, 2, 2, 2},   // RGB, 5x5: 75 taps is too many, so this one stays on the im2col form
        {2, 3, 13, 11, 5, 3, 1, 2, 2},   // 27 taps; rows of 11 (overlapping vectors), pooling leaves an edge
        {2, 1, 12, 12, 4, 3, 0, 3, 2},   // overlapping 3x3 windows: the scalar pooling kernel
        {2, 2, 10, 9, 3, 3, 1, 2, 2},    // odd sizes, 4 pooled outputs a row
    };

    private record Run(float[] z, float[] gw, float[] gb) {
    }

    private static Tensor ints(long seed, int... shape) {
        return Tensor.randint(-2, 3, Shape.of(shape), seed).cast(DType.F32);
    }

    private static Run run(int[] g, boolean inputNeedsGradient, boolean integers, DType seedType) {
        try (MemoryScope s = MemoryScope.open("direct")) {
            Tensor x = integers ? ints(1, g[0], g[1], g[2], g[3]) : Tensor.randn(Shape.of(g[0], g[1], g[2], g[3]), 1);
            x.requiresGrad(inputNeedsGradient);
            Tensor w = (integers ? ints(2, g[4], g[1], g[5], g[5]) : Tensor.randn(Shape.of(g[4], g[1], g[5], g[5]), 2))
                    .requiresGrad(true);
            Tensor b = (integers ? ints(3, g[4]) : Tensor.randn(Shape.of(g[4]), 3)).requiresGrad(true);
            Tensor z = x.conv2dReluMaxPool(w, b, 1, g[6], g[7], g[8]);
            Tensor gz = integers ? ints(4, z.dims()) : Tensor.randn(z.shape(), 4);
            z.backward(gz.cast(seedType));
            return new Run(z.toFloatArray(), w.grad().toFloatArray(), b.grad().toFloatArray());
        }
    }

    @Test
    void integerDataGivesTheIm2colResultsBitForBit() {
        try (var use = Backends.use(Backends.get("cpu-vector"))) {
            for (int[] g : CASES) {
                String what = Arrays.toString(g);
                Run im2col = run(g, true, true, DType.F32);
                Run direct = run(g, false, true, DType.F32);
                assertArrayEquals(im2col.z(), direct.z(), what + ": output");
                assertArrayEquals(im2col.gw(), direct.gw(), what + ": weight gradient");
                assertArrayEquals(im2col.gb(), direct.gb(), what + ": bias gradient");
            }
        }
    }

    @Test
    void gaussianDataAgreesToRounding() {
        try (var use = Backends.use(Backends.get("cpu-vector"))) {
            for (int[] g : CASES) {
                String what = Arrays.toString(g);
                Run im2col = run(g, true, false, DType.F32);
                Run direct = run(g, false, false, DType.F32);
                assertClose(im2col.z(), direct.z(), 1e-5, what + ": output");
                assertClose(im2col.gw(), direct.gw(), 1e-4, what + ": weight gradient");
                assertClose(im2col.gb(), direct.gb(), 1e-4, what + ": bias gradient");
                if (g[1] * g[5] * g[5] <= VectorDirectConv.MAX_TAPS) {
                    // the direct form ran: it adds the taps in another order than the matrix product, so with
                    // thousands of Gaussian outputs some differ in the last bit
                    assertTrue(!Arrays.equals(im2col.z(), direct.z()), what + ": the direct kernel was not used");
                }
            }
        }
    }

    @Test
    void aGradientOfAnotherDtypeTakesTheTensorOpForm() {
        try (var use = Backends.use(Backends.get("cpu-vector"))) {
            int[] g = CASES[0];
            Run kernel = run(g, false, true, DType.F32);
            Run ops = run(g, false, true, DType.F64);
            assertArrayEquals(kernel.z(), ops.z());
            assertArrayEquals(kernel.gw(), ops.gw(), "weight gradient through tensor ops");
            assertArrayEquals(kernel.gb(), ops.gb(), "bias gradient through tensor ops");
        }
    }

    @Test
    void nanInTheInputIsPooledAsTheIm2colFormPoolsIt() {
        try (var use = Backends.use(Backends.get("cpu-vector")); MemoryScope s = MemoryScope.open("nan")) {
            Tensor x0 = ints(1, 2, 1, 12, 12);
            Tensor x = Tensor.where(Tensor.rand(x0.shape(), 9).lt(0.05), Tensor.scalar(Float.NaN, DType.F32), x0);
            Tensor w = ints(2, 4, 1, 3, 3);
            Tensor b = ints(3, 4);
            float[] direct = x.conv2dReluMaxPool(w, b, 1, 1, 2, 2).toFloatArray();
            float[] im2col = x.detach().requiresGrad(true).conv2dReluMaxPool(w, b, 1, 1, 2, 2).toFloatArray();
            for (int i = 0; i < direct.length; i++) {
                assertEquals(Float.isNaN(im2col[i]), Float.isNaN(direct[i]), "NaN at " + i);
                if (!Float.isNaN(im2col[i])) {
                    assertEquals(im2col[i], direct[i], "output " + i);
                }
            }
        }
    }

    @Test
    void kernelSaysWhatItTakesAndRejectsOperandsThatDoNotFit() {
        VectorDirectConv k = new VectorDirectConv();
        ConvGeometry conv = new ConvGeometry(2, 1, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1);
        ConvGeometry pool = new ConvGeometry(1, 8, 8, 8, 2, 2, 2, 2, 0, 0, 1, 1);
        assumeTrue(Pool2x2.AVAILABLE, "needs 256-bit vectors");
        assertTrue(k.supports(DType.F32, conv, pool));
        assertTrue(!k.supports(DType.F64, conv, pool), "F32 only");
        assertTrue(!k.supports(DType.F32, new ConvGeometry(2, 1, 8, 8, 3, 3, 2, 2, 1, 1, 1, 1), pool), "stride 1 only");
        assertTrue(!k.supports(DType.F32, new ConvGeometry(2, 4, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1), pool), "36 taps");
        assertTrue(!k.supports(DType.F32, new ConvGeometry(2, 1, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1),
                new ConvGeometry(1, 8, 6, 6, 2, 2, 2, 2, 0, 0, 1, 1)), "rows shorter than a vector");
        try (MemoryScope s = MemoryScope.open("bad"); var use = Backends.use(Backends.get("cpu-vector"))) {
            View x = Tensor.zeros(2, 1, 8, 8).view();
            View w = Tensor.zeros(4, 8).view(); // 8 taps for a 3x3 kernel
            View z = Tensor.zeros(2, 4, 16).view();
            View at = Tensor.zeros(Shape.of(2, 4, 16), DType.I64).view();
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                    () -> k.forwardPool(x, w, null, conv, pool, z, at));
            assertTrue(bad.getMessage().contains("[4, 8]") && bad.getMessage().contains("ask supports()"), bad.getMessage());
            View w9 = Tensor.zeros(4, 9).view();
            View outside = Tensor.full(Shape.of(2, 4, 16), DType.I64, 64).view();
            View ones = Tensor.ones(2, 4, 16).view();
            IllegalArgumentException index = assertThrows(IllegalArgumentException.class,
                    () -> k.backwardPool(ones, ones, outside, x, conv, pool, Tensor.zeros(4, 9).view(), null));
            assertTrue(index.getMessage().contains("index 64"), index.getMessage());
            k.forwardPool(x, w9, null, conv, pool, z, at); // fits: no exception
        }
    }

    private static void assertClose(float[] expected, float[] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        double scale = 1;
        for (float e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= tolerance * scale,
                    what + " at " + i + ": " + expected[i] + " vs " + actual[i]);
        }
    }
}
