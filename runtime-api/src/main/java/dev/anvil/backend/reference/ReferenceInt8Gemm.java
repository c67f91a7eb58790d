package dev.anvil.backend.reference;

import dev.anvil.spi.Int8Gemm;
import dev.anvil.spi.View;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The portable int8 product: scalar loops over host memory, the definition the SIMD kernels are tested
 * against. Prepared weights are a plain copy of the int8 rows.
 */
final class ReferenceInt8Gemm implements Int8Gemm {

    private record Rows(int n, int k, byte[] values) implements Prepared {
    }

    @Override
    public Prepared prepare(View w) {
        Int8Gemm.checkWeights(w);
        int n = w.shape()[0];
        int k = w.shape()[1];
        byte[] values = new byte[Math.multiplyExact(n, k)];
        MemorySegment.copy(w.segment(), ValueLayout.JAVA_BYTE, w.offset(), values, 0, values.length);
        return new Rows(n, k, values);
    }

    @Override
    public void gemm(View x, float xScale, Prepared prepared, View wScale, View bias, View out) {
        if (!(prepared instanceof Rows w)) {
            throw new IllegalArgumentException("int8 gemm: weights were prepared by another kernel ("
                    + (prepared == null ? "none" : prepared.getClass().getSimpleName()) + "); prepare them with this one");
        }
        int m = Int8Gemm.checkGemm(x, xScale, w, wScale, bias, out);
        int n = w.n();
        int k = w.k();
        MemorySegment xs = x.segment();
        MemorySegment os = out.segment();
        MemorySegment ss = wScale.segment();
        MemorySegment bs = bias == null ? null : bias.segment();
        float inv = 1f / xScale;
        int[] qx = new int[k];
        for (int i = 0; i < m; i++) {
            long row = x.offset() + (long) i * k;
            for (int q = 0; q < k; q++) {
                qx[q] = Int8Gemm.quantize(xs.getAtIndex(ValueLayout.JAVA_FLOAT, row + q), inv);
            }
            for (int j = 0; j < n; j++) {
                int acc = 0;
                int wr = j * k;
                for (int q = 0; q < k; q++) {
                    acc += qx[q] * w.values[wr + q];
                }
                float scale = xScale * ss.getAtIndex(ValueLayout.JAVA_FLOAT, wScale.offset() + j);
                float b = bs == null ? 0f : bs.getAtIndex(ValueLayout.JAVA_FLOAT, bias.offset() + j);
                os.setAtIndex(ValueLayout.JAVA_FLOAT, out.offset() + (long) i * n + j, (float) acc * scale + b);
            }
        }
    }
}
