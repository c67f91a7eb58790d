package dev.anvil.backend.vector;

import static dev.anvil.backend.vector.Simd.F;
import static dev.anvil.backend.vector.Simd.F32;
import static dev.anvil.backend.vector.Simd.F64;
import static dev.anvil.backend.vector.Simd.NO;

import dev.anvil.DType;
import dev.anvil.spi.AdamStep;
import dev.anvil.spi.ComputePool;
import dev.anvil.spi.View;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * The fused Adam/AdamW update: reads p, g, m, v once and writes p, m, v once (28 bytes per F32 parameter),
 * where the composed form makes about a dozen passes and as many temporaries. F32 is vectorised; F64 is a
 * scalar loop in double.
 */
final class VectorAdam implements AdamStep {
    /** Parameters per parallel chunk: below this the update stays on the calling thread. */
    private static final long GRAIN = 1 << 16;

    @Override
    public void adam(View p, View g, View m, View v, double lr, double beta1, double beta2, double eps, double weightDecay,
                     boolean decoupled, long t) {
        long n = p.numel();
        double c1 = 1 - Math.pow(beta1, t);
        double c2 = 1 - Math.pow(beta2, t);
        double stepSize = lr / c1;
        double invSqrtC2 = 1 / Math.sqrt(c2);
        double keep = decoupled ? 1 - lr * weightDecay : 1;
        double l2 = decoupled ? 0 : weightDecay;
        MemorySegment sp = p.segment();
        MemorySegment sg = g.segment();
        MemorySegment sm = m.segment();
        MemorySegment sv = v.segment();
        long op = p.offset();
        long og = g.offset();
        long om = m.offset();
        long ov = v.offset();
        boolean f32 = p.dtype() == DType.F32;
        ComputePool.parallelFor(n, GRAIN, (from, to) -> {
            if (f32) {
                f32(sp, op, sg, og, sm, om, sv, ov, from, to, (float) beta1, (float) beta2, (float) eps, (float) stepSize,
                        (float) invSqrtC2, (float) keep, (float) l2);
            } else {
                f64(sp, op, sg, og, sm, om, sv, ov, from, to, beta1, beta2, eps, stepSize, invSqrtC2, keep, l2);
            }
            return 0;
        });
    }

    private static void f32(MemorySegment sp, long op, MemorySegment sg, long og, MemorySegment sm, long om,
                            MemorySegment sv, long ov, long from, long to, float b1, float b2, float eps, float stepSize,
                            float invSqrtC2, float keep, float l2) {
        int lanes = F.length();
        long i = from;
        float a1 = 1 - b1;
        float a2 = 1 - b2;
        for (; i + lanes <= to; i += lanes) {
            FloatVector p = FloatVector.fromMemorySegment(F, sp, (op + i) * 4, NO);
            FloatVector g = FloatVector.fromMemorySegment(F, sg, (og + i) * 4, NO);
            FloatVector m = FloatVector.fromMemorySegment(F, sm, (om + i) * 4, NO);
            FloatVector v = FloatVector.fromMemorySegment(F, sv, (ov + i) * 4, NO);
            g = p.mul(l2).add(g);                   // g + l2 * p (l2 = 0 for AdamW)
            p = p.mul(keep);                        // decoupled decay (keep = 1 for Adam)
            m = m.mul(b1).add(g.mul(a1));
            v = v.mul(b2).add(g.mul(g).mul(a2));
            FloatVector denom = v.sqrt().mul(invSqrtC2).add(eps);
            p = p.sub(m.div(denom).mul(stepSize));
            p.intoMemorySegment(sp, (op + i) * 4, NO);
            m.intoMemorySegment(sm, (om + i) * 4, NO);
            v.intoMemorySegment(sv, (ov + i) * 4, NO);
        }
        for (; i < to; i++) {
            float p = sp.getAtIndex(F32, op + i);
            float g = sg.getAtIndex(F32, og + i) + l2 * p;
            p *= keep;
            float m = sm.getAtIndex(F32, om + i) * b1 + g * a1;
            float v = sv.getAtIndex(F32, ov + i) * b2 + g * g * a2;
            p -= stepSize * m / ((float) Math.sqrt(v) * invSqrtC2 + eps);
            sp.setAtIndex(F32, op + i, p);
            sm.setAtIndex(F32, om + i, m);
            sv.setAtIndex(F32, ov + i, v);
        }
    }

    private static void f64(MemorySegment sp, long op, MemorySegment sg, long og, MemorySegment sm, long om,
                            MemorySegment sv, long ov, long from, long to, double b1, double b2, double eps, double stepSize,
                            double invSqrtC2, double keep, double l2) {
        for (long i = from; i < to; i++) {
            double p = sp.getAtIndex(F64, op + i);
            double g = sg.getAtIndex(F64, og + i) + l2 * p;
            p *= keep;
            double m = sm.getAtIndex(F64, om + i) * b1 + g * (1 - b1);
            double v = sv.getAtIndex(F64, ov + i) * b2 + g * g * (1 - b2);
            p -= stepSize * m / (Math.sqrt(v) * invSqrtC2 + eps);
            sp.setAtIndex(F64, op + i, p);
            sm.setAtIndex(F64, om + i, m);
            sv.setAtIndex(F64, ov + i, v);
        }
    }
}
