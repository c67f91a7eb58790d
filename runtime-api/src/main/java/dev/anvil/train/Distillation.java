package dev.anvil.train;

import dev.anvil.Autograd;
import dev.anvil.Tensor;
import dev.anvil.data.Batch;
import dev.anvil.nn.Losses;
import dev.anvil.nn.Module;

/**
 * Knowledge distillation (Hinton, Vinyals and Dean, 2015) as a {@link Trainer.Objective}: the student learns from
 * the teacher's temperature-softened outputs and from the labels,
 * {@code alpha * T^2 * KL(softmax(teacher / T) || softmax(student / T)) + (1 - alpha) * crossEntropy(student, labels)}.
 * The {@code T^2} keeps the soft term's gradients on the scale of the hard term's as {@code T} changes. The teacher
 * runs in eval mode without recording gradients; it is never updated.
 *
 * <pre>{@code
 * Module student = Models.mlp(784, new int[] {64}, 10, 42);
 * new Trainer(student, new Adam(student.parameters(), 1e-3))
 *         .objective(new Distillation(teacher, 4, 0.7)).epochs(10).fit(loader, test);
 * }</pre>
 */
public final class Distillation implements Trainer.Objective {
    private final Module teacher;
    private final double temperature;
    private final double alpha;

    /**
     * @param teacher the trained model whose outputs are imitated (switched to eval mode)
     * @param temperature softening of both models' outputs, > 0 (1 is the plain softmax)
     * @param alpha weight of the soft (teacher) term, in [0, 1]; the labels get {@code 1 - alpha}
     */
    public Distillation(Module teacher, double temperature, double alpha) {
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("distillation: temperature must be a positive number, got " + temperature);
        }
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("distillation: alpha must be in [0, 1], got " + alpha);
        }
        this.teacher = teacher;
        this.temperature = temperature;
        this.alpha = alpha;
        teacher.eval();
    }

    @Override
    public Tensor loss(Tensor logits, Batch batch) {
        Tensor teacherLogits;
        try (var off = Autograd.noGrad()) {
            teacherLogits = teacher.forward(batch.x());
        }
        return loss(logits, teacherLogits, batch.y(), temperature, alpha);
    }

    /** The distillation loss of student logits against teacher logits {@code [n, classes]} and labels {@code [n]}. */
    public static Tensor loss(Tensor studentLogits, Tensor teacherLogits, Tensor labels, double temperature, double alpha) {
        if (!studentLogits.shape().equals(teacherLogits.shape())) {
            throw new IllegalArgumentException("distillation: student logits " + studentLogits.shape() + " and teacher logits "
                    + teacherLogits.shape() + " differ; the two models must have the same classes");
        }
        Tensor soft = teacherLogits.detach().div(temperature).softmax(1);
        Tensor kd = Losses.klDivergence(studentLogits.div(temperature).logSoftmax(1), soft).mul(temperature * temperature);
        if (alpha == 1) {
            return kd;
        }
        Tensor ce = Losses.crossEntropy(studentLogits, labels);
        return alpha == 0 ? ce : kd.mul(alpha).add(ce.mul(1 - alpha));
    }
}
