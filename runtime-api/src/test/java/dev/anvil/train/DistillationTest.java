package dev.anvil.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anvil.Tensor;
import dev.anvil.nn.Losses;
import org.junit.jupiter.api.Test;

class DistillationTest {
    private final Tensor student = Tensor.fromArray(new float[] {1, 2, 0.5f, -1, 0, 3}, 2, 3);
    private final Tensor teacher = Tensor.fromArray(new float[] {3, 1, 0, 0, -2, 4}, 2, 3);
    private final Tensor labels = Tensor.fromArray(new long[] {1, 2});

    @Test
    void alphaZeroIsCrossEntropyOnLabels() {
        assertEquals(Losses.crossEntropy(student, labels).item(), Distillation.loss(student, teacher, labels, 4, 0).item(), 1e-6);
    }

    @Test
    void softTermIsTemperatureSquaredKl() {
        double t = 2;
        double expected = 0;
        float[] s = student.toFloatArray();
        float[] q = teacher.toFloatArray();
        for (int row = 0; row < 2; row++) {
            double[] ps = softmax(s, row, t);
            double[] pt = softmax(q, row, t);
            for (int c = 0; c < 3; c++) {
                expected += pt[c] * (Math.log(pt[c]) - Math.log(ps[c]));
            }
        }
        expected = expected / 2 * t * t;
        double ce = Losses.crossEntropy(student, labels).item();
        assertEquals(expected, Distillation.loss(student, teacher, labels, t, 1).item(), 1e-5);
        assertEquals(0.7 * expected + 0.3 * ce, Distillation.loss(student, teacher, labels, t, 0.7).item(), 1e-5);
        assertEquals(0, Distillation.loss(teacher, teacher, labels, t, 1).item(), 1e-6, "no loss when the student matches");
    }

    private static double[] softmax(float[] v, int row, double t) {
        double[] e = new double[3];
        double sum = 0;
        for (int c = 0; c < 3; c++) {
            e[c] = Math.exp(v[row * 3 + c] / t);
            sum += e[c];
        }
        for (int c = 0; c < 3; c++) {
            e[c] /= sum;
        }
        return e;
    }

    @Test
    void rejectsBadSettingsAndMismatchedClasses() {
        var m = Models.mlp(4, new int[] {3}, 2, 1);
        assertThrows(IllegalArgumentException.class, () -> new Distillation(m, 0, 0.5));
        assertThrows(IllegalArgumentException.class, () -> new Distillation(m, 4, 1.5));
        var e = assertThrows(IllegalArgumentException.class,
                () -> Distillation.loss(student, Tensor.zeros(2, 4), labels, 4, 0.5));
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("[2, 4]"), e.getMessage());
    }
}
