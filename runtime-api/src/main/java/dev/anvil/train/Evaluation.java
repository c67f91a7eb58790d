package dev.anvil.train;

import dev.anvil.Autograd;
import dev.anvil.MemoryScope;
import dev.anvil.Tensor;
import dev.anvil.data.Batch;
import dev.anvil.data.DataLoader;
import dev.anvil.data.Dataset;
import dev.anvil.nn.Module;

/**
 * Classification metrics of a model on a dataset: accuracy, per-class accuracy and the confusion matrix
 * ({@code confusion[true][predicted]}).
 */
public record Evaluation(int examples, int correct, long[][] confusion) {

    /** Runs {@code model} in eval mode without recording gradients, {@code batchSize} examples at a time. */
    public static Evaluation of(Module model, Dataset data, int batchSize) {
        int classes = data.classes();
        long[][] confusion = new long[classes][classes];
        int correct = 0;
        boolean wasTraining = model.isTraining();
        model.eval();
        try (var off = Autograd.noGrad()) {
            var it = new DataLoader(data, batchSize).epoch(0).iterator();
            while (it.hasNext()) {
                try (MemoryScope s = MemoryScope.open("eval")) {
                    Batch b = it.next();
                    long[] pred = model.forward(b.x()).argmax(1).toLongArray();
                    long[] truth = b.y().toLongArray();
                    for (int i = 0; i < pred.length; i++) {
                        int p = (int) pred[i];
                        if (p >= 0 && p < classes) {
                            confusion[(int) truth[i]][p]++;
                        }
                        if (p == truth[i]) {
                            correct++;
                        }
                    }
                }
            }
        } finally {
            if (wasTraining) {
                model.train();
            }
        }
        return new Evaluation(data.size(), correct, confusion);
    }

    /** Fraction of examples classified correctly. */
    public double accuracy() {
        return examples == 0 ? 0 : correct / (double) examples;
    }

    /** Accuracy of each true class. */
    public double[] perClassAccuracy() {
        double[] a = new double[confusion.length];
        for (int c = 0; c < confusion.length; c++) {
            long total = 0;
            for (long v : confusion[c]) {
                total += v;
            }
            a[c] = total == 0 ? 0 : confusion[c][c] / (double) total;
        }
        return a;
    }
}
