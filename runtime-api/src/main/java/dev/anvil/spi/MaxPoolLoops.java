package dev.anvil.spi;

import dev.anvil.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The scalar {@link MaxPool} kernel over a range of planes, shared by the CPU backends (a window of 2x2 or
 * 3x3 leaves nothing for SIMD lanes to do; the work is one read of the input and one write of the output).
 */
public final class MaxPoolLoops implements MaxPool {
    private final boolean parallel;

    /** @param parallel split the planes over the {@link ComputePool} */
    public MaxPoolLoops(boolean parallel) {
        this.parallel = parallel;
    }

    @Override
    public void maxPool2d(View x, ConvGeometry g, View out, View indices) {
        long planes = (long) g.n() * g.c();
        long perPlane = (long) g.h() * g.w();
        if (parallel) {
            ComputePool.parallelFor(planes, Math.max(1, (1 << 15) / Math.max(1, perPlane)), (from, to) -> {
                run(x, g, out, indices, from, to);
                return 0;
            });
        } else {
            run(x, g, out, indices, 0, planes);
        }
    }

    private static void run(View x, ConvGeometry g, View out, View indices, long from, long to) {
        MemorySegment xs = x.segment();
        MemorySegment os = out.segment();
        MemorySegment is = indices.segment();
        boolean f32 = x.dtype() == DType.F32;
        int h = g.h();
        int w = g.w();
        int oh = g.outH();
        int ow = g.outW();
        int k = g.kh();
        int kw = g.kw();
        int s = g.strideH();
        int sw = g.strideW();
        for (long p = from; p < to; p++) {
            long xBase = x.offset() + p * h * w;
            long oBase = out.offset() + p * oh * ow;
            long iBase = indices.offset() + p * oh * ow;
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    int best = i * s * w + j * sw;
                    double bestV = f32 ? xs.getAtIndex(ValueLayout.JAVA_FLOAT, xBase + best)
                            : xs.getAtIndex(ValueLayout.JAVA_DOUBLE, xBase + best);
                    for (int a = 0; a < k && !Double.isNaN(bestV); a++) {
                        for (int b = 0; b < kw; b++) {
                            int at = (i * s + a) * w + j * sw + b;
                            double v = f32 ? xs.getAtIndex(ValueLayout.JAVA_FLOAT, xBase + at)
                                    : xs.getAtIndex(ValueLayout.JAVA_DOUBLE, xBase + at);
                            if (v > bestV || Double.isNaN(v)) {
                                bestV = v;
                                best = at;
                                if (Double.isNaN(v)) {
                                    break;
                                }
                            }
                        }
                    }
                    long o = i * ow + j;
                    if (f32) {
                        os.setAtIndex(ValueLayout.JAVA_FLOAT, oBase + o, (float) bestV);
                    } else {
                        os.setAtIndex(ValueLayout.JAVA_DOUBLE, oBase + o, bestV);
                    }
                    is.setAtIndex(ValueLayout.JAVA_LONG, iBase + o, best);
                }
            }
        }
    }
}
