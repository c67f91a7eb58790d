package dev.anvil.nn;

import dev.anvil.Tensor;

/** Normalises over the last {@code shape.length} axes, then a learned elementwise scale and shift. */
public final class LayerNorm extends Module {
    private final int[] shape;
    private final double eps;
    private final Tensor weight;
    private final Tensor bias;

    public LayerNorm(int... normalizedShape) {
        this(1e-5, normalizedShape);
    }

    public LayerNorm(double eps, int... normalizedShape) {
        if (normalizedShape.length == 0) {
            throw new IllegalArgumentException("LayerNorm: give the normalised shape, e.g. new LayerNorm(512)");
        }
        this.shape = normalizedShape.clone();
        this.eps = eps;
        this.weight = parameter("weight", Tensor.ones(normalizedShape));
        this.bias = parameter("bias", Tensor.zeros(normalizedShape));
    }

    @Override
    public Tensor forward(Tensor x) {
        int r = x.rank();
        int[] axes = new int[shape.length];
        for (int i = 0; i < shape.length; i++) {
            axes[i] = r - shape.length + i;
            if (axes[i] < 0 || x.dim(axes[i]) != shape[i]) {
                throw new IllegalArgumentException("LayerNorm" + java.util.Arrays.toString(shape) + ": input " + x.shape()
                        + " must end in " + java.util.Arrays.toString(shape));
            }
        }
        Tensor mean = x.mean(axes, true);
        Tensor var = x.var(axes, 0, true);
        return x.sub(mean).mul(var.add(eps).rsqrt()).mul(weight).add(bias);
    }
}
