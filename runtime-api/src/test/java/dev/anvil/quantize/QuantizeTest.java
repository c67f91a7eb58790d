package dev.anvil.quantize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anvil.Autograd;
import dev.anvil.DType;
import dev.anvil.Shape;
import dev.anvil.Tensor;
import dev.anvil.nn.Conv2d;
import dev.anvil.nn.Flatten;
import dev.anvil.nn.Linear;
import dev.anvil.nn.ReLU;
import dev.anvil.nn.Sequential;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Weight quantization, calibration and the quantized layers against their F32 originals. */
class QuantizeTest {

    @Test
    void weightsQuantizePerChannelToTheSymmetricRange() {
        Tensor w = Tensor.fromArray(new float[] {0.5f, -1f, 0.25f, 0f, 0f, 0f, 2f, 1f, -0.01f}, 3, 3);
        Quantization.Weights q = Quantization.perChannel(w);
        assertEquals(DType.I8, q.values().dtype());
        assertArrayEquals(new float[] {1f / 127, 1f, 2f / 127}, q.scales().toFloatArray(), 1e-9f);
        // each channel's largest magnitude maps to +-127; an all-zero channel stays zero; rint rounds half to even
        assertArrayEquals(new float[] {64, -127, 32, 0, 0, 0, 127, 64, -1}, q.values().toFloatArray());
        float[] back = q.dequantize().toFloatArray();
        float[] orig = w.toFloatArray();
        float[] scales = q.scales().toFloatArray();
        for (int i = 0; i < orig.length; i++) {
            assertTrue(Math.abs(back[i] - orig[i]) <= scales[i / 3] / 2 + 1e-7, "element " + i);
        }
        var bad = assertThrows(IllegalArgumentException.class,
                () -> Quantization.perChannel(Tensor.fromArray(new float[] {1f, Float.NaN}, 1, 2)));
        assertTrue(bad.getMessage().contains("[0, 1]"), bad.getMessage());
    }

    @Test
    void quantizedLinearIsWithinTheQuantizationErrorBoundOfF32() {
        int m = 13;
        int k = 37;
        int n = 11;
        Linear lin = new Linear(k, n, new SplittableRandom(3));
        Tensor x = Tensor.randn(Shape.of(m, k), 4);
        float xmax = (float) x.abs().max().item();
        float sx = xmax / 127;
        QuantizedLinear q = QuantizedLinear.of(lin, sx);
        float[] got;
        float[] want;
        try (var off = Autograd.noGrad()) {
            got = q.forward(x).toFloatArray();
            want = lin.forward(x).toFloatArray();
        }
        Quantization.Weights wq = Quantization.perChannel(lin.weight());
        float[] wd = wq.dequantize().toFloatArray();
        float[] sw = wq.scales().toFloatArray();
        float[] xs = x.toFloatArray();
        // |x w - x^ w^| <= |x| |w - w^| + |w^| |x - x^| <= |x| sw / 2 + |w^| sx / 2, summed over the depth
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double bound = 0;
                for (int p = 0; p < k; p++) {
                    bound += Math.abs(xs[i * k + p]) * sw[j] / 2 + Math.abs(wd[j * k + p]) * sx / 2;
                }
                double err = Math.abs(got[i * n + j] - want[i * n + j]);
                assertTrue(err <= bound * 1.0001 + 1e-5, "[" + i + ", " + j + "]: error " + err + " > bound " + bound);
            }
        }
        // and quantization really happened: the result is not the F32 one
        boolean differs = false;
        for (int i = 0; i < got.length; i++) {
            differs |= got[i] != want[i];
        }
        assertTrue(differs);
    }

    @Test
    void quantizedLinearKeepsLeadingDimensionsAndRejectsWrongWidths() {
        QuantizedLinear q = QuantizedLinear.of(new Linear(6, 4, new SplittableRandom(1)), 0.05f);
        try (var off = Autograd.noGrad()) {
            assertArrayEquals(new int[] {2, 3, 4}, q.forward(Tensor.randn(Shape.of(2, 3, 6), 1)).dims());
        }
        var e = assertThrows(IllegalArgumentException.class, () -> q.forward(Tensor.randn(Shape.of(2, 5), 1)));
        assertTrue(e.getMessage().contains("must end in 6 features"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> QuantizedLinear.of(new Linear(6, 4, new SplittableRandom(1)), 0f));
    }

    @Test
    void loadingAStateDictReplacesThePackedWeights() {
        QuantizedLinear a = QuantizedLinear.of(new Linear(9, 5, new SplittableRandom(1)), 0.03f);
        QuantizedLinear b = new QuantizedLinear(9, 5);
        Tensor x = Tensor.randn(Shape.of(3, 9), 2);
        try (var off = Autograd.noGrad()) {
            float[] before = b.forward(x).toFloatArray();   // packs b's zero weights
            assertArrayEquals(new float[15], before);
            b.loadStateDict(a.stateDict());
            assertArrayEquals(a.forward(x).toFloatArray(), b.forward(x).toFloatArray());
        }
        assertEquals(DType.I8, b.stateDict().get("weight").dtype());
        assertEquals(List.of("weight", "weight_scale", "bias", "input_scale"), List.copyOf(b.stateDict().keySet()));
    }

    @Test
    void quantizedConv2dFollowsTheF32Convolution() {
        Conv2d conv = new Conv2d(3, 5, 3, 2, 1, new SplittableRandom(5));
        Tensor x = Tensor.randn(Shape.of(2, 3, 9, 7), 6);
        QuantizedConv2d q = QuantizedConv2d.of(conv, (float) (x.abs().max().item() / 127));
        try (var off = Autograd.noGrad()) {
            Tensor want = conv.forward(x);
            Tensor got = q.forward(x);
            assertArrayEquals(want.dims(), got.dims());
            float[] w = want.toFloatArray();
            float[] g = got.toFloatArray();
            double scale = want.abs().max().item();
            for (int i = 0; i < w.length; i++) {
                assertTrue(Math.abs(w[i] - g[i]) <= 0.03 * scale, "element " + i + ": " + g[i] + " vs " + w[i]);
            }
        }
    }

    @Test
    void calibrationTakesTheLargestMagnitudeOrAPercentile() {
        Sequential model = new Sequential(new Flatten(), new Linear(4, 3, new SplittableRandom(1)), new ReLU(),
                new Linear(3, 2, new SplittableRandom(2)));
        float[] values = new float[1000 * 4];
        for (int i = 0; i < values.length; i++) {
            values[i] = (i % 100) / 100f;            // magnitudes spread over [0, 0.99]
        }
        values[17] = -50f;                            // one outlier
        Tensor batch = Tensor.fromArray(values, 1000, 4);
        float[] minmax = Quantizer.calibrate(model, List.of(batch), new Calibration.MinMax());
        assertEquals(50f / 127, minmax[1], 1e-7f);
        assertEquals(0f, minmax[0]);
        assertEquals(0f, minmax[2]);
        assertTrue(minmax[3] > 0);
        float[] pct = Quantizer.calibrate(model, List.of(batch), new Calibration.Percentile(99.9));
        // the 99.9th percentile of the magnitudes ignores the outlier: about 0.99, to a histogram bin
        assertTrue(pct[1] < 1.1f / 127 && pct[1] > 0.9f / 127, "percentile scale " + pct[1] * 127);
        assertThrows(IllegalArgumentException.class, () -> Quantizer.calibrate(model, List.of(), new Calibration.MinMax()));
    }

    @Test
    void quantizerReplacesLinearLayersAndSharesTheRest() {
        ReLU relu = new ReLU();
        Sequential model = new Sequential(new Flatten(), new Linear(8, 6, new SplittableRandom(1)), relu,
                new Linear(6, 3, new SplittableRandom(2)));
        Tensor x = Tensor.randn(Shape.of(64, 2, 4), 3);
        Sequential q = Quantizer.quantize(model, List.of(x), Calibration.parse("percentile:99.99"));
        assertInstanceOf(QuantizedLinear.class, q.layers().get(1));
        assertInstanceOf(QuantizedLinear.class, q.layers().get(3));
        assertSame(relu, q.layers().get(2));
        try (var off = Autograd.noGrad()) {
            long[] a = model.forward(x).argmax(1).toLongArray();
            long[] b = q.forward(x).argmax(1).toLongArray();
            int same = 0;
            for (int i = 0; i < a.length; i++) {
                same += a[i] == b[i] ? 1 : 0;
            }
            assertTrue(same >= 58, same + " of 64 predictions agree");
        }
    }

    @Test
    void nestedSequentialsAreFlattenedAndTheirLayersQuantized() {
        Sequential model = new Sequential(new Sequential(new Flatten(), new Linear(8, 6, new SplittableRandom(1)), new ReLU()),
                new Sequential(new Linear(6, 3, new SplittableRandom(2))));
        Tensor x = Tensor.randn(Shape.of(64, 2, 4), 3);
        Sequential q = Quantizer.quantize(model, List.of(x), new Calibration.MinMax());
        assertEquals(4, q.layers().size());
        assertInstanceOf(QuantizedLinear.class, q.layers().get(1));
        assertInstanceOf(QuantizedLinear.class, q.layers().get(3));
        try (var off = Autograd.noGrad()) {
            float[] f = model.forward(x).toFloatArray();
            float[] i8 = q.forward(x).toFloatArray();
            double worst = 0;
            for (int i = 0; i < f.length; i++) {
                worst = Math.max(worst, Math.abs(f[i] - i8[i]));
            }
            assertTrue(worst < 0.05, "largest difference from F32 " + worst);
        }
    }

    @Test
    void calibrationSpecsParseOrExplain() {
        assertEquals(new Calibration.MinMax(), Calibration.parse("minmax"));
        assertEquals(new Calibration.Percentile(99.99), Calibration.parse("percentile"));
        assertEquals(new Calibration.Percentile(99.5), Calibration.parse("percentile:99.5"));
        assertThrows(IllegalArgumentException.class, () -> Calibration.parse("percentile:200"));
        var e = assertThrows(IllegalArgumentException.class, () -> Calibration.parse("entropy"));
        assertTrue(e.getMessage().contains("minmax"), e.getMessage());
    }
}
