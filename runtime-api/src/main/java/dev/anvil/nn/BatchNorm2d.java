package dev.anvil.nn;

/** {@link BatchNorm} over channels of {@code [n, c, h, w]} input. */
public final class BatchNorm2d extends BatchNorm {
    public BatchNorm2d(int channels) {
        super(channels, 4, 1e-5, 0.1);
    }

    public BatchNorm2d(int channels, double eps, double momentum) {
        super(channels, 4, eps, momentum);
    }
}
