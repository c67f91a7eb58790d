package dev.anvil;

import dev.anvil.spi.Backend;
import dev.anvil.spi.BatchIm2col;
import dev.anvil.spi.ConvEpilogue;
import dev.anvil.spi.ConvGeometry;
import dev.anvil.spi.DirectConv;
import dev.anvil.spi.View;
import java.util.Arrays;
import java.util.Optional;

/**
 * unfold (im2col) and fold (col2im), per image or for the whole batch as one matrix, and conv2d on the latter:
 * one GEMM for the batch instead of one small GEMM per image (fewer calls, and BLAS splits one large product
 * over its threads far better than many small ones).
 */
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

    /** An op's window, checked and copied: kernel, stride, padding and dilation, each (height, width). */
    private record Window(int[] k, int[] s, int[] p, int[] d) {
        static Window of(String op, int[] kernel, int[] stride, int[] padding, int[] dilation) {
            return new Window(pair(op, "kernel", kernel, 1).clone(), pair(op, "stride", stride, 1).clone(),
                    pair(op, "padding", padding, 0).clone(), pair(op, "dilation", dilation, 1).clone());
        }

        /** Elements of one kernel window. */
        int area() {
            return k[0] * k[1];
        }

        ConvGeometry geometry(int n, int c, int h, int w) {
            return new ConvGeometry(n, c, h, w, k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1]);
        }
    }

    /** Checks an image batch for {@code op}; its geometry under window {@code win}. */
    private static ConvGeometry imageGeometry(String op, Tensor x, Window win) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException(op + ": input must be 4-D [n, c, h, w], got " + x.describe());
        }
        Exec.requireFloating(op, x);
        int[] dims = x.dims();
        return win.geometry(dims[0], dims[1], dims[2], dims[3]);
    }

    static Tensor unfold(Tensor x, int[] kernel, int[] stride, int[] padding, int[] dilation) {
        Backend b = Exec.backend("unfold", x);
        Window win = Window.of("unfold", kernel, stride, padding, dilation);
        ConvGeometry g = imageGeometry("unfold", x, win);
        Tensor src = x.cast(x.dtype().floatingCompute()).contiguous();
        Tensor cols = Exec.empty(b, src.dtype(), g.colsShape());
        if (cols.numel() > 0) {
            b.im2col(src.view(), g, cols.view());
        }
        int[] size = {g.h(), g.w()};
        return Autograd.record(cols, "unfold", gr -> new Tensor[] {Tensor.fold(gr, size, win.k(), win.s(), win.p(), win.d())},
                src);
    }

    static Tensor fold(Tensor cols, int[] outputSize, int[] kernel, int[] stride, int[] padding, int[] dilation) {
        Backend b = Exec.backend("fold", cols);
        if (cols.rank() != 3) {
            throw new IllegalArgumentException("fold: columns must be 3-D [n, c*kh*kw, L], got " + cols.describe());
        }
        Exec.requireFloating("fold", cols);
        int[] o = pair("fold", "output size", outputSize, 1).clone();
        Window win = Window.of("fold", kernel, stride, padding, dilation);
        int[] dims = cols.dims();
        if (dims[1] % win.area() != 0) {
            throw new IllegalArgumentException("fold: dimension 1 of " + cols.shape() + " is not a multiple of kernel size "
                    + win.k()[0] + "x" + win.k()[1]);
        }
        ConvGeometry g = win.geometry(dims[0], dims[1] / win.area(), o[0], o[1]);
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
        return Autograd.record(x, "fold", gr -> new Tensor[] {gr.unfold(win.k(), win.s(), win.p(), win.d())}, src);
    }

    /**
     * im2col of the whole batch as one matrix {@code [c*kh*kw, n*outH*outW]} (column {@code image*outH*outW + l}):
     * the backend's {@link BatchIm2col} kernel when it has one, else {@link #unfold} and a permuted copy.
     */
    static Tensor unfoldBatch(Tensor x, int[] kernel, int[] stride, int[] padding, int[] dilation) {
        Backend b = Exec.backend("unfold", x);
        Window win = Window.of("unfold", kernel, stride, padding, dilation);
        ConvGeometry g = imageGeometry("unfold", x, win);
        int n = g.n();
        int rows = g.c() * g.kh() * g.kw();
        int plane = g.outH() * g.outW();
        Tensor src = x.cast(x.dtype().floatingCompute()).contiguous();
        Optional<BatchIm2col> fused = b.kernel(BatchIm2col.class);
        Tensor cols;
        if (fused.isPresent()) {
            cols = Exec.empty(b, src.dtype(), new int[] {rows, n * plane});
            if (cols.numel() > 0) {
                fused.get().im2col(src.view(), g, cols.view());
            }
        } else {
            Tensor in = src.detach();
            cols = Autograd.untracked(() -> unfold(in, win.k(), win.s(), win.p(), win.d()).permute(1, 0, 2).contiguous()
                    .reshape(rows, n * plane));
        }
        int[] size = {g.h(), g.w()};
        return Autograd.record(cols, "unfoldBatch", gr -> new Tensor[] {foldBatch(gr, n, size, win.k(), win.s(), win.p(), win.d())},
                src);
    }

    /** The inverse of {@link #unfoldBatch}: sums {@code [c*kh*kw, n*L]} columns back into {@code n} images. */
    static Tensor foldBatch(Tensor cols, int n, int[] outputSize, int[] kernel, int[] stride, int[] padding, int[] dilation) {
        Backend b = Exec.backend("fold", cols);
        if (cols.rank() != 2) {
            throw new IllegalArgumentException("fold: batch columns must be 2-D [c*kh*kw, n*L], got " + cols.describe());
        }
        Exec.requireFloating("fold", cols);
        int[] o = pair("fold", "output size", outputSize, 1).clone();
        Window win = Window.of("fold", kernel, stride, padding, dilation);
        int[] dims = cols.dims();
        if (n < 0 || dims[0] % win.area() != 0) {
            throw new IllegalArgumentException("fold: columns " + cols.shape() + " for " + n + " images: dimension 0 must "
                    + "be a multiple of kernel size " + win.k()[0] + "x" + win.k()[1]);
        }
        ConvGeometry g = win.geometry(n, dims[0] / win.area(), o[0], o[1]);
        int plane = g.outH() * g.outW();
        if ((long) n * plane != dims[1]) {
            throw new IllegalArgumentException("fold: columns " + cols.shape() + " do not match " + n + " images of size "
                    + Arrays.toString(o) + " with this kernel, stride, padding and dilation (expected ["
                    + dims[0] + ", " + (long) n * plane + "])");
        }
        Tensor src = cols.cast(cols.dtype().floatingCompute()).contiguous();
        Optional<BatchIm2col> fused = b.kernel(BatchIm2col.class);
        Tensor x;
        if (fused.isPresent()) {
            x = Exec.empty(b, src.dtype(), g.inputShape(), true);
            if (src.numel() > 0) {
                fused.get().col2im(src.view(), g, x.view());
            }
        } else {
            Tensor in = src.detach();
            x = Autograd.untracked(() -> fold(in.reshape(dims[0], n, plane).permute(1, 0, 2), o, win.k(), win.s(), win.p(),
                    win.d()));
        }
        return Autograd.record(x, "foldBatch", gr -> new Tensor[] {unfoldBatch(gr, win.k(), win.s(), win.p(), win.d())}, src);
    }

    /**
     * conv2d, followed by ReLU when {@code relu} and then by max pooling when {@code poolKernel > 0}: im2col of
     * the batch, one matrix product giving {@code [out, n, L]}, then the backend's {@link ConvEpilogue} (bias, ReLU,
     * pooling and the move to NCHW in one pass, and one pass back for the gradients) or, without it, a permuted
     * bias add, a ReLU and {@link Tensor#maxPool2d}. With ReLU and pooling, an input that needs no gradient (a
     * first layer; inference) and a backend {@link DirectConv} that takes the geometry (few taps, stride 1), the
     * convolution runs directly instead, with no columns or product.
     */
    static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int stride, int padding, boolean relu, int poolKernel,
                         int poolStride) {
        Backend b = bias == null ? Exec.backend("conv2d", x, weight) : Exec.backend("conv2d", x, weight, bias);
        if (x.rank() != 4 || weight.rank() != 4 || x.dim(1) != weight.dim(1)) {
            throw new IllegalArgumentException("conv2d: input " + x.shape() + " and weight " + weight.shape()
                    + " must be [n, c, h, w] and [out, c, kh, kw] with the same c");
        }
        int out = weight.dim(0);
        if (bias != null && (bias.rank() != 1 || bias.dim(0) != out)) {
            throw new IllegalArgumentException("conv2d: bias " + bias.shape() + " must be [" + out
                    + "], one value per output channel of weight " + weight.shape());
        }
        int[] k = {weight.dim(2), weight.dim(3)};
        int[] s = {stride, stride};
        int[] p = {padding, padding};
        int[] d = {1, 1};
        ConvGeometry g = imageGeometry("conv2d", x, Window.of("conv2d", k, s, p, d));
        int n = g.n();
        int oh = g.outH();
        int ow = g.outW();
        int plane = oh * ow;
        boolean pooled = poolKernel > 0;
        boolean poolFits = pooled && relu && poolStride > 0 && poolKernel <= oh && poolKernel <= ow;
        if (poolFits && n > 0 && (!Autograd.isEnabled() || !x.requiresGrad()) && weight.dtype() == x.dtype()
                && (bias == null || bias.dtype() == x.dtype())) {
            ConvGeometry pg = new ConvGeometry(1, n * out, oh, ow, poolKernel, poolKernel, poolStride, poolStride, 0, 0, 1, 1);
            Optional<DirectConv> direct = b.kernel(DirectConv.class).filter(dc -> dc.supports(x.dtype(), g, pg));
            if (direct.isPresent()) {
                return directConvPool(direct.get(), b, x, weight, bias, g, pg, new int[][] {k, s, p, d});
            }
        }
        Tensor cols = unfoldBatch(x, k, s, p, d);                             // [c*kh*kw, n*L]
        Tensor y = weight.reshape(out, -1).matmul(cols).reshape(out, n, plane);  // one GEMM for the batch
        Optional<ConvEpilogue> fused = b.kernel(ConvEpilogue.class).filter(e -> e.supports(y.dtype()));
        if (fused.isEmpty() || (bias != null && bias.dtype() != y.dtype()) || y.numel() == 0 || (pooled && !poolFits)) {
            // back to NCHW: the bias add (or a copy) reads the [out, n, L] result through a permuted view
            Tensor nchw = y.permute(1, 0, 2);
            nchw = bias == null ? nchw.contiguous() : nchw.add(bias.reshape(out, 1));
            Tensor r = (relu ? nchw.relu() : nchw).reshape(n, out, oh, ow);
            return pooled ? r.maxPool2d(poolKernel, poolStride) : r;
        }
        ConvEpilogue e = fused.get();
        ConvGeometry pg = pooled
                ? new ConvGeometry(1, n * out, oh, ow, poolKernel, poolKernel, poolStride, poolStride, 0, 0, 1, 1) : null;
        int[] outShape = pooled ? new int[] {n, out, pg.outH(), pg.outW()} : new int[] {n, out, oh, ow};
        int zPlane = outShape[2] * outShape[3];
        Tensor z = Exec.empty(b, y.dtype(), new int[] {n, out, zPlane});
        Tensor index = pooled ? Exec.empty(b, DType.I64, new int[] {n, out, zPlane}) : null;
        View bv = bias == null ? null : bias.contiguous().view();
        if (pooled) {
            e.forwardPool(y.contiguous().view(), bv, pg, z.view(), index.view());
        } else {
            e.forward(y.contiguous().view(), bv, z.view(), relu);
        }
        Tensor saved = z.detach();
        Autograd.record(z, "conv2d" + (relu ? "+relu" : "") + (pooled ? "+maxPool2d" : ""), gz -> {
            Tensor gc = gz.reshape(n, out, zPlane).contiguous();
            if (Autograd.isEnabled() || gc.dtype() != saved.dtype()) { // a graph of the gradient: tensor ops only
                Tensor masked = relu ? Tensor.where(saved.gt(0), gc, Tensor.scalar(0, gc.dtype())) : gc;
                Tensor unpooled = pooled
                        ? Tensor.zeros(Shape.of(n, out, plane), gc.dtype()).scatterAdd(2, index, masked) : masked;
                Tensor gy = unpooled.permute(1, 0, 2).contiguous();
                return bias == null ? new Tensor[] {gy} : new Tensor[] {gy, masked.sum(0, 2)};
            }
            Tensor gy = Exec.empty(b, gc.dtype(), new int[] {out, n, plane});
            Tensor gb = bias == null ? null : Exec.empty(b, gc.dtype(), new int[] {out});
            View gbv = gb == null ? null : gb.view();
            if (pooled) {
                e.backwardPool(gc.view(), saved.view(), index.view(), pg, gy.view(), gbv);
            } else {
                e.backward(gc.view(), relu ? saved.view() : null, gy.view(), gbv);
            }
            return bias == null ? new Tensor[] {gy} : new Tensor[] {gy, gb};
        }, bias == null ? new Tensor[] {y} : new Tensor[] {y, bias});
        return z.reshape(outShape);
    }

    /**
     * conv2d + ReLU + max pooling by the backend's {@link DirectConv} (no columns, no matrix product): for an input
     * that needs no gradient, such as a network's first layer. The weight (and bias) gradient comes from the same
     * kernel, or, when the gradient itself is being differentiated, from tensor ops in the im2col form.
     * {@code window} is the kernel, stride, padding and dilation as {@link #unfoldBatch} takes them.
     */
    private static Tensor directConvPool(DirectConv dc, Backend b, Tensor x, Tensor weight, Tensor bias, ConvGeometry g,
                                         ConvGeometry pg, int[][] window) {
        int n = g.n();
        int out = weight.dim(0);
        int taps = weight.dim(1) * weight.dim(2) * weight.dim(3);
        int plane = g.outH() * g.outW();
        int pooled = pg.outH() * pg.outW();
        Tensor input = x.detach().contiguous();
        Tensor w = weight.detach().reshape(out, taps).contiguous();
        Tensor bc = bias == null ? null : bias.detach().contiguous();
        Tensor z = Exec.empty(b, x.dtype(), new int[] {n, out, pooled});
        Tensor index = Exec.empty(b, DType.I64, new int[] {n, out, pooled});
        dc.forwardPool(input.view(), w.view(), bc == null ? null : bc.view(), g, pg, z.view(), index.view());
        Tensor saved = z.detach();
        Autograd.record(z, "conv2d+relu+maxPool2d (direct)", gz -> {
            Tensor gc = gz.reshape(n, out, pooled).contiguous();
            if (Autograd.isEnabled() || gc.dtype() != saved.dtype()) { // a graph of the gradient: tensor ops only
                Tensor masked = Tensor.where(saved.gt(0), gc, Tensor.scalar(0, gc.dtype()));
                Tensor unpooled = Tensor.zeros(Shape.of(n, out, plane), gc.dtype()).scatterAdd(2, index, masked);
                Tensor gy = unpooled.permute(1, 0, 2).reshape(out, n * plane);
                Tensor cols = unfoldBatch(input, window[0], window[1], window[2], window[3]);
                Tensor gw = gy.matmul(cols.transpose(0, 1)).reshape(weight.dims());
                return bias == null ? new Tensor[] {gw} : new Tensor[] {gw, masked.sum(0, 2)};
            }
            Tensor gw = Exec.empty(b, gc.dtype(), new int[] {out, taps});
            Tensor gb = bias == null ? null : Exec.empty(b, gc.dtype(), new int[] {out});
            dc.backwardPool(gc.view(), saved.view(), index.view(), input.view(), g, pg, gw.view(), gb == null ? null : gb.view());
            Tensor gwr = gw.reshape(weight.dims());
            return bias == null ? new Tensor[] {gwr} : new Tensor[] {gwr, gb};
        }, bias == null ? new Tensor[] {weight} : new Tensor[] {weight, bias});
        return z.reshape(n, out, pg.outH(), pg.outW());
    }
}
