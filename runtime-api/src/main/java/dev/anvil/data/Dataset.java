package dev.anvil.data;

/**
 * Labelled examples with fixed-size float features, for classification. Implementations hold their data in
 * memory; {@link DataLoader} batches them.
 */
public interface Dataset {

    /** Number of examples. */
    int size();

    /** Shape of one example's features, e.g. {@code [1, 28, 28]} or {@code [784]}. */
    int[] featureShape();

    /** Number of floats in one example. */
    default int featureSize() {
        int n = 1;
        for (int d : featureShape()) {
            n *= d;
        }
        return n;
    }

    /** Copies example {@code index}'s features to {@code dst[offset ...]}. */
    void features(int index, float[] dst, int offset);

    /** Class label of example {@code index}. */
    int label(int index);

    /** Number of classes (labels are {@code 0 .. classes-1}). */
    int classes();
}
