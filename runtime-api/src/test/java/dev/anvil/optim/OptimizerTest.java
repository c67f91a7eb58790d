package dev.anvil.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.anvil.Backends;
import dev.anvil.DType;
import dev.anvil.Tensor;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Each optimizer's first two steps against values computed by hand from the published update rules. */
class OptimizerTest {
    private Backends.Using using;

    @BeforeEach
    void open() {
        using = Backends.use("reference");
    }

    @AfterEach
    void close() {
        using.close();
    }

    /** p = [1, -2]; loss = sum(p^2 * [1, 3]) so g = [2 p0, 6 p1]. */
    private static double[] run(Function<List<Tensor>, Optimizer> make, int steps) {
        Tensor p = Tensor.fromArray(new double[] {1, -2}).requiresGrad(true);
        Optimizer opt = make.apply(List.of(p));
        Tensor w = Tensor.fromArray(new double[] {1, 3});
        for (int i = 0; i < steps; i++) {
            opt.zeroGrad();
            p.mul(p).mul(w).sum().backward();
            opt.step();
        }
        return p.toDoubleArray();
    }

    @Test
    void sgdPlain() {
        // g = [2, -12]; p - 0.1 g = [0.8, -0.8]
        assertArrayEquals(new double[] {0.8, -0.8}, run(ps -> new Sgd(ps, 0.1), 1), 1e-12);
    }

    @Test
    void sgdMomentumNesterovAndWeightDecay() {
        // step 1: g=[2,-12], buf=g, p=[1,-2]-0.1*[2,-12]=[0.8,-0.8]
        // step 2: g=[1.6,-4.8], buf=0.9*[2,-12]+[1.6,-4.8]=[3.4,-15.6], p=[0.8-0.34, -0.8+1.56]=[0.46,0.76]
        assertArrayEquals(new double[] {0.46, 0.76}, run(ps -> new Sgd(ps, 0.1, 0.9, false, 0), 2), 1e-12);
        // Nesterov step 1: buf=g, d=g+0.9*buf=1.9g=[3.8,-22.8]; p=[1-0.38, -2+2.28]=[0.62,0.28]
        assertArrayEquals(new double[] {0.62, 0.28}, run(ps -> new Sgd(ps, 0.1, 0.9, true, 0), 1), 1e-12);
        // weight decay 0.5: d = g + 0.5 p = [2.5, -13]; p = [0.75, -0.7]
        assertArrayEquals(new double[] {0.75, -0.7}, run(ps -> new Sgd(ps, 0.1, 0, false, 0.5), 1), 1e-12);
    }

    @Test
    void adamFirstStepMovesEachWeightByTheLearningRate() {
        // step 1: m=(1-b1)g, v=(1-b2)g^2, mhat=g, vhat=g^2: p -= lr * g/(|g|+eps)
        double eps = 1e-8;
        double[] p = run(ps -> new Adam(ps, 0.01), 1);
        assertEquals(1 - 0.01 * 2 / (2 + eps), p[0], 1e-12);
        assertEquals(-2 + 0.01 * 12 / (12 + eps), p[1], 1e-12);
        // step 2 by hand for p0: g1=2, p=0.99 -> g2=1.98
        double m = 0.9 * 0.1 * 2 + 0.1 * 1.98;
        double v = 0.999 * 0.001 * 4 + 0.001 * 1.98 * 1.98;
        double mhat = m / (1 - 0.81);
        double vhat = v / (1 - 0.999 * 0.999);
        double expected = (1 - 0.01 * 2 / (2 + eps)) - 0.01 * mhat / (Math.sqrt(vhat) + eps);
        assertEquals(expected, run(ps -> new Adam(ps, 0.01), 2)[0], 1e-12);
    }

    @Test
    void adamWDecaysTheWeightsDirectly() {
        double eps = 1e-8;
        double[] p = run(ps -> new AdamW(ps, 0.01, 0.9, 0.999, eps, 0.1), 1);
        assertEquals(1 * (1 - 0.01 * 0.1) - 0.01 * 2 / (2 + eps), p[0], 1e-12);
        // Adam with L2 decay adds wd*p to the gradient instead: first step still moves by ~lr
        double[] q = run(ps -> new Adam(ps, 0.01, 0.9, 0.999, eps, 0.1), 1);
        assertEquals(1 - 0.01 * 2.1 / (2.1 + eps), q[0], 1e-12);
    }

    @Test
    void rmsPropFirstStep() {
        // v = 0.01 g^2, p -= lr g / (0.1|g| + eps)
        double[] p = run(ps -> new RmsProp(ps, 0.01), 1);
        assertEquals(1 - 0.01 * 2 / (0.2 + 1e-8), p[0], 1e-12);
        assertEquals(-2 + 0.01 * 12 / (1.2 + 1e-8), p[1], 1e-12);
    }

    @Test
    void clippingByNormAndValue() {
        Tensor p = Tensor.fromArray(new double[] {1, 1}).requiresGrad(true);
        p.mul(Tensor.fromArray(new double[] {3, 4})).sum().backward();
        assertEquals(5.0, GradClip.byGlobalNorm(List.of(p), 1), 1e-12);
        assertArrayEquals(new double[] {0.6, 0.8}, p.grad().toDoubleArray(), 1e-6);
        GradClip.byValue(List.of(p), 0.7);
        assertArrayEquals(new double[] {0.6, 0.7}, p.grad().toDoubleArray(), 1e-6);
    }

    @Test
    void stateRoundTripsThroughStateDict() {
        Tensor p = Tensor.fromArray(new double[] {1, -2}).requiresGrad(true);
        Adam a = new Adam(List.of(p), 0.01);
        p.mul(p).sum().backward();
        a.step();
        Tensor q = Tensor.fromArray(new double[] {1, -2}).requiresGrad(true);
        Adam b = new Adam(List.of(q), 0.5);
        b.loadStateDict(a.stateDict());
        assertEquals(1, b.steps());
        assertEquals(0.01, b.lr());
        assertArrayEquals(a.stateDict().get("0.exp_avg").toDoubleArray(), b.stateDict().get("0.exp_avg").toDoubleArray());
    }

    @Test
    void rejectsBadSettings() {
        Tensor p = Tensor.zeros(2).requiresGrad(true);
        assertThrows(IllegalArgumentException.class, () -> new Sgd(List.of(p), -1));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(List.of(p), 0.1, 0, true, 0));
        assertThrows(IllegalArgumentException.class, () -> new Adam(List.of(p), 0.1, 1.0, 0.999, 1e-8, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(List.of(Tensor.zeros(2)), 0.1));
        assertEquals(DType.F32, p.dtype());
    }
}
