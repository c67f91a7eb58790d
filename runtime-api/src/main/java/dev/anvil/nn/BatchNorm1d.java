package dev.anvil.nn;

/** {@link BatchNorm} over features of {@code [n, c]} input. */
public final class BatchNorm1d extends BatchNorm {
    public BatchNorm1d(int features) {
        super(features, 2, 1e-5, 0.1);
    }

    public BatchNorm1d(int features, double eps, double momentum) {
        super(features, 2, eps, momentum);
    }
}
