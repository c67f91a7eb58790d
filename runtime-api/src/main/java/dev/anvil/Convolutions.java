package dev.anvil;

import dev.anvil.spi.Backend;
import dev.anvil.spi.ConvGeometry;
import java.util.Arrays;

/** unfold (im2col) and fold (col2im). */
final class Convolutions {
    private Convolutions() {
    }

    private static int[] pair(String op, String what, int[] v, int min) {
        if (v == null || v.length != 2) {
            throw new IllegalArgumentException(op + ": " + what + " must have 2 values (height, width), got "
                    + Arrays.toString(v));
        }
        if (v[0] < min || v[1] < min) {
            throw new IllegalArgumentException(op + ": " + what + " " + Arrays.toString(v) + " must be at least " + min);
        }
        return v;
    }

    static Tensor unfold(Tensor x, int[] kernel, int[] stride, int[] padding, int[] dilation) {
        Backend b = Exec.backend("unfold", x);
        if (x.rank() != 4) {
            throw new IllegalArgumentException("unfold: input must be 4-D [n, c, h, w], got " + x.describe());
        }
        Exec.requireFloating("unfold", x);
        int[] k = pair("unfold", "kernel", kernel, 1);
        int[] s = pair("unfold", "stride", stride, 1);
        int[] p = pair("unfold", "padding", padding, 0);
        int[] d = pair("unfold", "dilation", dilation, 1);
        int[] dims = x.dims();
        ConvGeometry g = new ConvGeometry(dims[0], dims[1], dims[2], dims[3], k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1]);
        Tensor src = x.cast(x.dtype().floatingCompute()).contiguous();
        Tensor cols = Exec.empty(b, src.dtype(), g.colsShape());
        if (cols.numel() > 0) {
            b.im2col(src.view(), g, cols.view());
        }
        int[] size = {dims[2], dims[3]};
        return Autograd.record(cols, "unfold", gr -> new Tensor[] {Tensor.fold(gr, size, k, s, p, d)}, src);
    }

    static Tensor fold(Tensor cols, int[] outputSize, int[] kernel, int[] stride, int[] padding, int[] dilation) {
        Backend b = Exec.backend("fold", cols);
        if (cols.rank() != 3) {
            throw new IllegalArgumentException("fold: columns must be 3-D [n, c*kh*kw, L], got " + cols.describe());
        }
        Exec.requireFloating("fold", cols);
        int[] o = pair("fold", "output size", outputSize, 1);
        int[] k = pair("fold", "kernel", kernel, 1);
        int[] s = pair("fold", "stride", stride, 1);
        int[] p = pair("fold", "padding", padding, 0);
        int[] d = pair("fold", "dilation", dilation, 1);
        int[] dims = cols.dims();
        int kk = k[0] * k[1];
        if (dims[1] % kk != 0) {
            throw new IllegalArgumentException("fold: dimension 1 of " + cols.shape() + " is not a multiple of kernel size "
                    + k[0] + "x" + k[1]);
        }
        ConvGeometry g = new ConvGeometry(dims[0], dims[1] / kk, o[0], o[1], k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1]);
        if (!Arrays.equals(g.colsShape(), dims)) {
            throw new IllegalArgumentException("fold: columns " + cols.shape() + " do not match output size "
                    + Arrays.toString(o) + " with this kernel, stride, padding and dilation (expected "
                    + Arrays.toString(g.colsShape()) + ")");
        }
        Tensor src = cols.cast(cols.dtype().floatingCompute()).contiguous();
        Tensor x = Exec.empty(b, src.dtype(), g.inputShape(), true);
        if (src.numel() > 0) {
            b.col2im(src.view(), g, x.view());
        }
        return Autograd.record(x, "fold", gr -> new Tensor[] {gr.unfold(k, s, p, d)}, src);
    }
}
