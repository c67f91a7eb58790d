package dev.anvil.nn;

import dev.anvil.Autograd;
import dev.anvil.Shape;
import dev.anvil.Tensor;

/**
 * Batch normalisation over the channel axis 1 of {@code [n, c]} (1-D) or {@code [n, c, h, w]} (2-D) input:
 * batch statistics in training mode (running mean and unbiased variance updated with {@code momentum}),
 * running statistics in eval mode, then a learned scale and shift.
 */
public class BatchNorm extends Module {
    private final int channels;
    private final int rank;
    private final double eps;
    private final double momentum;
    private final Tensor weight;
    private final Tensor bias;
    private final Tensor runningMean;
    private final Tensor runningVar;

    BatchNorm(int channels, int rank, double eps, double momentum) {
        if (channels <= 0) {
            throw new IllegalArgumentException("BatchNorm: channels must be positive, got " + channels);
        }
        this.channels = channels;
        this.rank = rank;
        this.eps = eps;
        this.momentum = momentum;
        this.weight = parameter("weight", Tensor.ones(channels));
        this.bias = parameter("bias", Tensor.zeros(channels));
        this.runningMean = buffer("running_mean", Tensor.zeros(channels));
        this.runningVar = buffer("running_var", Tensor.ones(channels));
    }

    private int[] statShape() {
        return rank == 2 ? new int[] {1, channels} : new int[] {1, channels, 1, 1};
    }

    private int[] axes() {
        return rank == 2 ? new int[] {0} : new int[] {0, 2, 3};
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() != rank || x.dim(1) != channels) {
            throw new IllegalArgumentException(getClass().getSimpleName() + "(" + channels + "): input " + x.shape()
                    + " must be " + (rank == 2 ? "[n, " + channels + "]" : "[n, " + channels + ", h, w]"));
        }
        Tensor mean;
        Tensor var;
        if (isTraining()) {
            mean = x.mean(axes(), true);
            var = x.var(axes(), 0, true);
            long n = x.numel() / channels;
            try (var off = Autograd.noGrad()) {
                Tensor unbiased = var.mul(n / (double) Math.max(1, n - 1)).reshape(channels);
                runningMean.copyFrom(runningMean.mul(1 - momentum).add(mean.reshape(channels).mul(momentum)));
                runningVar.copyFrom(runningVar.mul(1 - momentum).add(unbiased.mul(momentum)));
            }
        } else {
            mean = runningMean.reshape(statShape());
            var = runningVar.reshape(statShape());
        }
        Tensor norm = x.sub(mean).mul(var.add(eps).rsqrt());
        return norm.mul(weight.reshape(statShape())).add(bias.reshape(statShape()));
    }

    public int channels() {
        return channels;
    }

    /** The constant added to the variance. */
    public double eps() {
        return eps;
    }

    /** The weight of each new batch in the running statistics. */
    public double momentum() {
        return momentum;
    }

    public Tensor weight() {
        return weight;
    }

    public Tensor bias() {
        return bias;
    }

    public Tensor runningMean() {
        return runningMean;
    }

    public Tensor runningVar() {
        return runningVar;
    }

    Shape shape() {
        return Shape.of(statShape());
    }
}
