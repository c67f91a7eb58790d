package dev.anvil.nn;

import dev.anvil.DType;
import dev.anvil.Tensor;

/** Loss functions, each the mean over the batch unless stated. */
public final class Losses {
    private Losses() {
    }

    /** Mean squared error. */
    public static Tensor mse(Tensor prediction, Tensor target) {
        if (!prediction.shape().equals(target.shape())) {
            throw new IllegalArgumentException("mse: prediction " + prediction.shape() + " and target " + target.shape() + " differ");
        }
        Tensor d = prediction.sub(target);
        return d.mul(d).mean();
    }

    /** Cross-entropy of logits {@code [n, classes]} against integer labels {@code [n]}. */
    public static Tensor crossEntropy(Tensor logits, Tensor labels) {
        return crossEntropy(logits, labels, 0, null);
    }

    /**
     * Cross-entropy from logits with label smoothing {@code eps} (the target puts 1-eps on the label and eps
     * spread evenly over all classes) and optional per-class weights (the weighted mean, as PyTorch).
     */
    public static Tensor crossEntropy(Tensor logits, Tensor labels, double labelSmoothing, Tensor classWeights) {
        if (logits.rank() != 2) {
            throw new IllegalArgumentException("crossEntropy: logits must be [batch, classes], got " + logits.shape());
        }
        if (labels.rank() != 1 || labels.dim(0) != logits.dim(0) || labels.dtype().isFloating()) {
            throw new IllegalArgumentException("crossEntropy: labels must be integer [" + logits.dim(0) + "], got "
                    + labels.describe());
        }
        if (labelSmoothing < 0 || labelSmoothing > 1) {
            throw new IllegalArgumentException("crossEntropy: label smoothing must be in [0, 1], got " + labelSmoothing);
        }
        int classes = logits.dim(1);
        if (classWeights != null && (classWeights.rank() != 1 || classWeights.dim(0) != classes)) {
            throw new IllegalArgumentException("crossEntropy: class weights must be [" + classes + "], got " + classWeights.shape());
        }
        Tensor logp = logits.logSoftmax(1);
        Tensor idx = labels.cast(DType.I64).unsqueeze(1);
        Tensor nll = logp.gather(1, idx).squeeze(1).neg();                 // [n]
        Tensor smooth = null;
        if (labelSmoothing > 0) {
            Tensor weighted = classWeights == null ? logp : logp.mul(classWeights.cast(logp.dtype()));
            smooth = weighted.sum(1).neg().div(classes);                    // [n]
        }
        if (classWeights == null) {
            Tensor loss = smooth == null ? nll : nll.mul(1 - labelSmoothing).add(smooth.mul(labelSmoothing));
            return loss.mean();
        }
        Tensor w = classWeights.cast(logp.dtype()).indexSelect(0, labels.cast(DType.I64));  // [n]
        Tensor loss = nll.mul(w);
        if (smooth != null) {
            loss = loss.mul(1 - labelSmoothing).add(smooth.mul(labelSmoothing));
        }
        return loss.sum().div(w.sum());
    }

    /** Binary cross-entropy from logits, stable for large |x|: {@code max(x,0) - x*y + log(1 + exp(-|x|))}. */
    public static Tensor binaryCrossEntropyWithLogits(Tensor logits, Tensor targets) {
        if (!logits.shape().equals(targets.shape())) {
            throw new IllegalArgumentException("binaryCrossEntropyWithLogits: logits " + logits.shape() + " and targets "
                    + targets.shape() + " differ");
        }
        Tensor y = targets.cast(logits.dtype());
        return logits.relu().sub(logits.mul(y)).add(logits.abs().neg().exp().add(1).log()).mean();
    }

    /**
     * KL divergence {@code KL(target || input)} with {@code input} given as log-probabilities and {@code target}
     * as probabilities, summed over classes and averaged over the batch ({@code kl_div(..., reduction="batchmean")}).
     */
    public static Tensor klDivergence(Tensor inputLogProbs, Tensor targetProbs) {
        if (!inputLogProbs.shape().equals(targetProbs.shape()) || inputLogProbs.rank() < 1) {
            throw new IllegalArgumentException("klDivergence: input " + inputLogProbs.shape() + " and target "
                    + targetProbs.shape() + " must have the same shape");
        }
        Tensor p = targetProbs.cast(inputLogProbs.dtype());
        // p * (log p - q), with 0 * log 0 taken as 0
        Tensor logP = Tensor.where(p.gt(0), p, Tensor.scalar(1, p.dtype())).log();
        Tensor terms = p.mul(logP.sub(inputLogProbs));
        return terms.sum().div(inputLogProbs.dim(0));
    }
}
