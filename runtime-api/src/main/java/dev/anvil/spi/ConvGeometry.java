package dev.anvil.spi;

/**
 * The shape of a 2-D convolution's im2col: input {@code [n, c, h, w]} (NCHW, contiguous), kernel
 * {@code kh x kw}, stride, zero padding and dilation. Columns are laid out {@code [n, c*kh*kw, outH*outW]}.
 */
public record ConvGeometry(int n, int c, int h, int w, int kh, int kw, int strideH, int strideW,
                           int padH, int padW, int dilationH, int dilationW) {

    public ConvGeometry {
        if (n < 0 || c < 0 || h < 0 || w < 0) {
            throw new IllegalArgumentException("conv: negative input size [" + n + ", " + c + ", " + h + ", " + w + "]");
        }
        if (kh <= 0 || kw <= 0 || strideH <= 0 || strideW <= 0 || dilationH <= 0 || dilationW <= 0) {
            throw new IllegalArgumentException("conv: kernel " + kh + "x" + kw + ", stride " + strideH + "x" + strideW
                    + " and dilation " + dilationH + "x" + dilationW + " must be positive");
        }
        if (padH < 0 || padW < 0) {
            throw new IllegalArgumentException("conv: negative padding " + padH + "x" + padW);
        }
        long effH = (long) dilationH * (kh - 1) + 1;
        long effW = (long) dilationW * (kw - 1) + 1;
        if (h + 2L * padH < effH || w + 2L * padW < effW) {
            throw new IllegalArgumentException("conv: kernel " + kh + "x" + kw + " (dilation " + dilationH + "x" + dilationW
                    + ") is larger than the padded input " + (h + 2 * padH) + "x" + (w + 2 * padW));
        }
    }

    public int outH() {
        return (h + 2 * padH - dilationH * (kh - 1) - 1) / strideH + 1;
    }

    public int outW() {
        return (w + 2 * padW - dilationW * (kw - 1) - 1) / strideW + 1;
    }

    /** Shape of the column matrix: {@code [n, c*kh*kw, outH*outW]}. */
    public int[] colsShape() {
        return new int[] {n, c * kh * kw, outH() * outW()};
    }

    /** Shape of the input image batch: {@code [n, c, h, w]}. */
    public int[] inputShape() {
        return new int[] {n, c, h, w};
    }
}
