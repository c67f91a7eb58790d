package dev.anvil.quantize;

import dev.anvil.DType;
import dev.anvil.Tensor;
import dev.anvil.spi.Int8Gemm;

/**
 * Symmetric int8 quantization: a value {@code v} with step {@code s} becomes
 * {@code rint(clamp(v / s, -127, 127))} (the rule of {@link Int8Gemm#quantize}); -128 is never used, so the
 * range is symmetric and two products fit in 16 bits.
 *
 * <pre>{@code
 * Quantization.Weights w = Quantization.perChannel(linear.weight());   // I8 [out, in] + F32 [out]
 * }</pre>
 */
public final class Quantization {
    /** The largest quantized magnitude. */
    public static final int LEVELS = 127;

    private Quantization() {
    }

    /** Quantized weights: {@code values} I8 of the original shape, {@code scales} F32 [shape[0]], one step per output channel. */
    public record Weights(Tensor values, Tensor scales) {
        /** The weights these stand for: values times their channel's scale (F32). */
        public Tensor dequantize() {
            int n = values.dim(0);
            int[] bshape = new int[values.rank()];
            java.util.Arrays.fill(bshape, 1);
            bshape[0] = n;
            return values.cast(DType.F32).mul(scales.reshape(bshape));
        }
    }

    /**
     * Quantizes {@code w} (floating, rank >= 2, output channels on axis 0) symmetrically per output channel: each
     * channel's step is its largest magnitude over 127 (1 for an all-zero channel).
     */
    public static Weights perChannel(Tensor w) {
        if (!w.dtype().isFloating() || w.rank() < 2) {
            throw new IllegalArgumentException("quantize: weights must be floating with output channels on axis 0 and rank >= 2, got "
                    + w.describe());
        }
        int n = w.dim(0);
        int per = (int) (w.numel() / Math.max(1, n));
        float[] v = w.toFloatArray();
        float[] scales = new float[n];
        byte[] q = new byte[v.length];
        for (int j = 0; j < n; j++) {
            float max = 0;
            for (int i = 0; i < per; i++) {
                float a = Math.abs(v[j * per + i]);
                if (!(a <= Float.MAX_VALUE)) {
                    throw new IllegalArgumentException("quantize: weight [" + j + ", " + i + "] is " + v[j * per + i]
                            + "; only finite weights can be quantized");
                }
                max = Math.max(max, a);
            }
            scales[j] = max == 0 ? 1f : max / LEVELS;
            float inv = 1f / scales[j];
            for (int i = 0; i < per; i++) {
                q[j * per + i] = (byte) Int8Gemm.quantize(v[j * per + i], inv);
            }
        }
        return new Weights(Tensor.fromBytes(q, DType.I8, w.dims()), Tensor.fromArray(scales, n));
    }

    /** The step for inputs whose magnitude is up to {@code range}: range / 127, or 1 when range is 0. */
    public static float scaleFor(double range) {
        if (!(range >= 0) || Double.isInfinite(range)) {
            throw new IllegalArgumentException("quantize: activation range must be finite and >= 0, got " + range);
        }
        return range == 0 ? 1f : (float) (range / LEVELS);
    }

    static float checkScale(float s) {
        if (!(s > 0) || Float.isInfinite(s)) {
            throw new IllegalArgumentException("quantize: input scale must be positive and finite, got " + s);
        }
        return s;
    }
}
