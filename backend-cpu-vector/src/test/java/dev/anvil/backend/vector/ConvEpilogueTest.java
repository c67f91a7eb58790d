package dev.anvil.backend.vector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anvil.Backends;
import dev.anvil.DType;
import dev.anvil.MemoryScope;
import dev.anvil.Shape;
import dev.anvil.Tensor;
import dev.anvil.nn.Conv2d;
import dev.anvil.nn.Flatten;
import dev.anvil.nn.MaxPool2d;
import dev.anvil.nn.Module;
import dev.anvil.nn.ReLU;
import dev.anvil.nn.Sequential;
import dev.anvil.spi.ConvEpilogue;
import dev.anvil.spi.ConvGeometry;
import dev.anvil.spi.View;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The fused conv epilogue (bias, ReLU, max pooling and the move to NCHW) on the cpu-vector backend against the
 * composed ops on the same backend: outputs and the input and weight gradients bit for bit (the epilogue hands
 * the same gradient to the same matrix products), the bias gradient to rounding (summed in another order).
 */
class ConvEpilogueTest {
    /** {n, c, h, w, out, k, stride, padding, pool kernel, pool stride}. */
    private static final int[][] CASES = {
        {4, 1, 28, 28, 8, 3, 1, 1, 2, 2},    // the CNN's first layer
        {3, 6, 14, 14, 10, 3, 1, 1, 2, 2},   // its second
        {2, 3, 11, 9, 4, 3, 2, 1, 3, 2},     // strided, overlapping windows, odd sizes (scalar tails)
        {2, 2, 7, 7, 3, 1, 1, 0, 2, 1},
        {2, 2, 9, 11, 3, 3, 1, 1, 2, 2},     // 2x2/2 windows that leave an edge uncovered; 5 outputs a row
    };

    /** Input kinds: Gaussian; many exact zeros and ties; the same with a few NaNs. */
    private static final String[] INPUTS = {"gaussian", "ties and zeros", "ties, zeros, NaN"};

    /** Values with many exact zeros and ties (and a few NaNs), so ReLU's and pooling's edge cases all occur. */
    private static Tensor awkward(long seed, boolean nan, int... shape) {
        Tensor x = Tensor.randint(-2, 3, Shape.of(shape), seed).cast(DType.F32).mul(0.5);
        return Tensor.where(Tensor.rand(Shape.of(shape), seed + 1).lt(nan ? 0.02 : 0), Tensor.scalar(Float.NaN, DType.F32), x);
    }

    private record Run(float[] y, float[] dx, float[] dw, float[] db) {
    }

    private static Run run(int[] g, int mode, boolean fused, int input) {
        try (MemoryScope s = MemoryScope.open("epilogue")) {
            Tensor x = (input > 0 ? awkward(1, input == 2, g[0], g[1], g[2], g[3])
                    : Tensor.randn(Shape.of(g[0], g[1], g[2], g[3]), 1)).requiresGrad(true);
            Tensor k = Tensor.randn(Shape.of(g[4], g[1], g[5], g[5]), 2).requiresGrad(true);
            Tensor b = Tensor.randn(Shape.of(g[4]), 3).requiresGrad(true);
            Tensor y;
            if (mode == 0) {
                y = fused ? x.conv2dRelu(k, b, g[6], g[7]) : x.conv2d(k, b, g[6], g[7]).relu();
            } else {
                y = fused ? x.conv2dReluMaxPool(k, b, g[6], g[7], g[8], g[9])
                        : x.conv2d(k, b, g[6], g[7]).relu().maxPool2d(g[8], g[9]);
            }
            y.mul(Tensor.randn(y.shape(), 4)).sum().backward();
            return new Run(y.toFloatArray(), x.grad().toFloatArray(), k.grad().toFloatArray(), b.grad().toFloatArray());
        }
    }

    @Test
    void fusedEqualsComposedOnThisBackend() {
        try (var use = Backends.use(Backends.get("cpu-vector"))) {
            for (int[] g : CASES) {
                for (int mode = 0; mode < 2; mode++) {
                    for (int input = 0; input < INPUTS.length; input++) {
                        String what = (mode == 0 ? "conv2dRelu " : "conv2dReluMaxPool ") + java.util.Arrays.toString(g)
                                + " " + INPUTS[input];
                        Run composed = run(g, mode, false, input);
                        Run fused = run(g, mode, true, input);
                        assertArrayEquals(composed.y(), fused.y(), what + ": output");
                        assertArrayEquals(composed.dx(), fused.dx(), what + ": input gradient");
                        assertArrayEquals(composed.dw(), fused.dw(), what + ": weight gradient");
                        for (int i = 0; i < composed.db().length; i++) {
                            float e = composed.db()[i];
                            float a = fused.db()[i];
                            assertTrue(Float.isNaN(e) ? Float.isNaN(a) : Math.abs(e - a) <= 1e-4 * Math.max(1, Math.abs(e)),
                                    what + ": bias gradient " + i + ": " + e + " vs " + a);
                        }
                    }
                }
            }
        }
    }

    @Test
    void sequentialFusesConvReluPoolAndGivesTheLayerByLayerResult() {
        SplittableRandom rng = new SplittableRandom(5);
        Sequential model = new Sequential(new Conv2d(2, 4, 3, 1, 1, rng), new ReLU(), new MaxPool2d(2),
                new Conv2d(4, 3, 3, 1, 1, rng), new ReLU(), new Flatten());
        try (var use = Backends.use(Backends.get("cpu-vector")); MemoryScope s = MemoryScope.open("seq")) {
            // an input that needs a gradient keeps the first layer on the im2col form (without, it runs the direct
            // convolution, whose sums come in another order: DirectConvTest compares the two)
            Tensor x = Tensor.randn(Shape.of(3, 2, 10, 10), 6).requiresGrad(true);
            Tensor h = x;
            for (Module m : model.layers()) {
                h = m.forward(h);
            }
            assertArrayEquals(h.toFloatArray(), model.forward(x).toFloatArray());
            assertEquals(List.of(3, 75), List.of(h.dim(0), h.dim(1)));
        }
    }

    @Test
    void kernelRejectsMismatchedOperandsAndIndicesOutsideThePlane() {
        ConvEpilogue e = new VectorConvEpilogue();
        try (MemoryScope s = MemoryScope.open("bad"); var use = Backends.use(Backends.get("cpu-vector"))) {
            View y = Tensor.zeros(4, 2, 16).view();
            View z = Tensor.zeros(2, 3, 16).view();
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> e.forward(y, null, z, true));
            assertTrue(bad.getMessage().contains("[4, 2, 16]") && bad.getMessage().contains("[2, 3, 16]"), bad.getMessage());
            IllegalArgumentException f64 = assertThrows(IllegalArgumentException.class,
                    () -> e.forward(Tensor.zeros(Shape.of(3, 2, 16), DType.F64).view(), null, z, true));
            assertTrue(f64.getMessage().contains("F64"), f64.getMessage());

            ConvGeometry pool = new ConvGeometry(1, 6, 4, 4, 2, 2, 2, 2, 0, 0, 1, 1);
            View g = Tensor.ones(2, 3, 4).view();
            View pooled = Tensor.ones(2, 3, 4).view();
            View index = Tensor.full(Shape.of(2, 3, 4), DType.I64, 16).view();
            IllegalArgumentException outside = assertThrows(IllegalArgumentException.class,
                    () -> e.backwardPool(g, pooled, index, pool, Tensor.zeros(3, 2, 16).view(), null));
            assertTrue(outside.getMessage().contains("index 16"), outside.getMessage());

            // Rows of 4 windows take the SIMD path, which hands positions outside their window to the checked loop:
            // one in the neighbour's window is scattered there, one past the plane is refused
            ConvGeometry wide = new ConvGeometry(1, 1, 4, 8, 2, 2, 2, 2, 0, 0, 1, 1);
            View g8 = Tensor.ones(1, 1, 8).view();
            Tensor at = Tensor.fromArray(new long[] {0, 2, 4, 6, 16, 18, 20, 22}, 1, 1, 8);
            Tensor moved = Tensor.fromArray(new long[] {0, 4, 4, 6, 16, 18, 20, 22}, 1, 1, 8);
            Tensor gy = Tensor.zeros(1, 1, 32);
            e.backwardPool(g8, g8, moved.view(), wide, gy.view(), null);
            float[] got = gy.toFloatArray();
            assertEquals(2f, got[4]);
            assertEquals(0f, got[2]);
            e.backwardPool(g8, g8, at.view(), wide, gy.view(), null);
            assertEquals(1f, gy.toFloatArray()[2]);
            Tensor past = Tensor.fromArray(new long[] {0, 2, 4, 6, 16, 18, 20, 32}, 1, 1, 8);
            IllegalArgumentException beyond = assertThrows(IllegalArgumentException.class,
                    () -> e.backwardPool(g8, g8, past.view(), wide, gy.view(), null));
            assertTrue(beyond.getMessage().contains("index 32"), beyond.getMessage());
        }
    }
}
