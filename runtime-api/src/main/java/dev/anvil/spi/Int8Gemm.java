package dev.anvil.spi;

import dev.anvil.DType;

/**
 * Optional kernel: the int8 matrix product of post-training quantization, with the activation quantization and
 * the rescale fused in. For {@code x} F32 [m, k] and int8 weights {@code w} [n, k] (one row per output channel):
 * <pre>
 *   qx[i][q]  = rint(clamp(x[i][q] * (1f / xScale), -127, 127))           (int8, round half to even)
 *   acc[i][j] = sum_q qx[i][q] * w[j][q]                                   (exact, in int32)
 *   out[i][j] = (float) acc[i][j] * (xScale * wScale[j]) + bias[j]         (F32; bias 0 when absent)
 * </pre>
 * Every implementation computes exactly these float operations in this order (no fused multiply-add), so
 * backends agree bit for bit. Quantized values stay in [-127, 127]: symmetric, and two products summed fit in
 * 16 bits, which the SIMD kernels rely on.
 *
 * <p>Weights are {@link #prepare prepared} once (packed into the kernel's layout) and reused by every call. A
 * backend advertises the kernel through {@link Backend#kernel(Class)}; the reference backend's works on any
 * {@link HostStorage}, and the API falls back to it (through host memory) where a backend has none.
 */
public interface Int8Gemm {
    /** Largest depth k: beyond it the int32 accumulators could overflow (127 * 127 * k >= 2^31). */
    int MAX_DEPTH = 131_072;

    /** Weights in this kernel's layout, made by {@link #prepare}; immutable and safe to share between threads. */
    interface Prepared {
        /** Output channels. */
        int n();

        /** Depth (input features). */
        int k();
    }

    /** Packs contiguous int8 weights {@code w} [n, k]; every value must lie in [-127, 127]. */
    Prepared prepare(View w);

    /**
     * {@code out = rescale(quantize(x) * w^T) + bias} as in the class comment. {@code x} is contiguous F32
     * [m, k], {@code wScale} contiguous F32 [n], {@code bias} contiguous F32 [n] or null, {@code out} contiguous
     * F32 [m, n]. {@code w} must come from this kernel's {@link #prepare}.
     */
    void gemm(View x, float xScale, Prepared w, View wScale, View bias, View out);

    /** Checks the weights given to {@link #prepare}: contiguous I8 [n, k] with 1 <= k <= {@link #MAX_DEPTH}. */
    static void checkWeights(View w) {
        if (w.dtype() != DType.I8 || w.shape().length != 2 || !w.isContiguous()) {
            throw new IllegalArgumentException("int8 gemm: weights must be contiguous I8 [n, k], got " + w.dtype() + " "
                    + w.layout());
        }
        int n = w.shape()[0];
        int k = w.shape()[1];
        if (n < 1 || k < 1 || k > MAX_DEPTH) {
            throw new IllegalArgumentException("int8 gemm: weights [" + n + ", " + k + "] must have n >= 1 and 1 <= k <= "
                    + MAX_DEPTH);
        }
        var s = w.segment();
        for (long i = 0, base = w.offset(); i < w.numel(); i++) {
            if (s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, base + i) == Byte.MIN_VALUE) {
                throw new IllegalArgumentException("int8 gemm: weight element " + i + " is -128; symmetric int8 weights lie in "
                        + "[-127, 127]");
            }
        }
    }

    /**
     * Checks the operands of {@link #gemm} against each other (kernels call it before touching memory) and
     * returns m, the number of rows.
     */
    static int checkGemm(View x, float xScale, Prepared w, View wScale, View bias, View out) {
        if (w == null) {
            throw new IllegalArgumentException("int8 gemm: no prepared weights");
        }
        int n = w.n();
        int k = w.k();
        if (x.dtype() != DType.F32 || x.shape().length != 2 || !x.isContiguous() || x.shape()[1] != k) {
            throw new IllegalArgumentException("int8 gemm: input must be contiguous F32 [m, " + k + "], got " + x.dtype()
                    + " " + x.layout());
        }
        int m = x.shape()[0];
        if (out.dtype() != DType.F32 || out.shape().length != 2 || !out.isContiguous() || out.shape()[0] != m
                || out.shape()[1] != n) {
            throw new IllegalArgumentException("int8 gemm: output must be contiguous F32 [" + m + ", " + n + "], got "
                    + out.dtype() + " " + out.layout());
        }
        checkVector("weight scales", wScale, n);
        if (bias != null) {
            checkVector("bias", bias, n);
        }
        if (!(xScale > 0) || Float.isInfinite(xScale)) {
            throw new IllegalArgumentException("int8 gemm: input scale must be positive and finite, got " + xScale);
        }
        return m;
    }

    private static void checkVector(String what, View v, int n) {
        if (v.dtype() != DType.F32 || v.shape().length != 1 || v.shape()[0] != n || !v.isContiguous()) {
            throw new IllegalArgumentException("int8 gemm: " + what + " must be contiguous F32 [" + n + "], got " + v.dtype()
                    + " " + v.layout());
        }
    }

    /** The quantization rule of the class comment for one value (used by every implementation). */
    static int quantize(float x, float inverseScale) {
        return (int) Math.rint(Math.min(127f, Math.max(-127f, x * inverseScale)));
    }
}
