package dev.anvil;

import dev.anvil.spi.Backend;
import dev.anvil.spi.ConvGeometry;
import dev.anvil.spi.MaxPool;
import java.util.Optional;

/**
 * Max pooling: the backend's fused kernel when it has one, else unfold + argmax + gather. Both pick the
 * first maximum of each window, and the gradient flows to that element only (as PyTorch's max_pool2d).
 */
final class Pooling {
    private Pooling() {
    }

    static Tensor maxPool2d(Tensor x, int kernel, int stride) {
        Backend b = Exec.backend("maxPool2d", x);
        if (x.rank() != 4) {
            throw new IllegalArgumentException("maxPool2d: input must be [n, c, h, w], got " + x.describe());
        }
        if (kernel <= 0 || stride <= 0) {
            throw new IllegalArgumentException("maxPool2d: kernel and stride must be positive, got " + kernel + " and " + stride);
        }
        Exec.requireFloating("maxPool2d", x);
        int n = x.dim(0);
        int c = x.dim(1);
        int h = x.dim(2);
        int w = x.dim(3);
        ConvGeometry g = new ConvGeometry(1, n * c, h, w, kernel, kernel, stride, stride, 0, 0, 1, 1);
        int oh = g.outH();
        int ow = g.outW();
        Optional<MaxPool> fused = b.kernel(MaxPool.class);
        Tensor src = x.cast(x.dtype().floatingCompute());
        Tensor indices;
        if (fused.isPresent()) {
            // the kernel wrote the values already: record them with the scatter as their gradient (no gather pass)
            Tensor in = src.contiguous();
            Tensor values = Exec.empty(b, in.dtype(), new int[] {n, c, oh, ow});
            indices = Exec.empty(b, DType.I64, new int[] {n, c, oh, ow});
            if (values.numel() > 0) {
                fused.get().maxPool2d(in.view(), g, values.view(), indices.view());
            }
            Tensor planeIndex = indices.reshape(n, c, oh * ow);
            return Autograd.record(values, "maxPool2d", gr -> new Tensor[] {unpool(gr, planeIndex, h, w)}, src);
        } else {
            // composed: window positions as columns, the first maximum of each, mapped back to plane positions
            Tensor patches;
            try (var off = Autograd.noGrad(); var on = Backends.use(b)) { // index constants on x's backend
                patches = src.reshape(n * c, 1, h, w).unfold(new int[] {kernel, kernel}, new int[] {stride, stride},
                        new int[] {0, 0}, new int[] {1, 1});                          // [n*c, k*k, oh*ow]
                Tensor arg = patches.argmax(1);                                      // [n*c, oh*ow]
                Tensor ki = arg.div(kernel).cast(DType.I64);                         // window row
                Tensor kj = arg.sub(ki.mul(kernel));                                 // window column
                Tensor base = Tensor.arange(oh).mul(stride * w).reshape(oh, 1).add(Tensor.arange(ow).mul(stride))
                        .reshape(oh * ow);                                           // top-left corner of each window
                indices = base.add(ki.mul(w)).add(kj).reshape(n, c, oh, ow);
            }
        }
        // values by gathering from the plane (differentiable: the gradient scatters back to the chosen elements)
        Tensor planes = src.reshape(n, c, h * w);
        return planes.gather(2, indices.reshape(n, c, oh * ow)).reshape(n, c, oh, ow);
    }

    /**
     * The gradient of max pooling: each output's gradient added at its maximum's position ({@code index}
     * [n, c, L] holds positions inside each h x w plane), zeros elsewhere. Itself differentiable (a gather).
     */
    private static Tensor unpool(Tensor gradOut, Tensor index, int h, int w) {
        Backend b = Exec.backend("maxPool2d (gradient)", gradOut, index);
        int n = index.dim(0);
        int c = index.dim(1);
        Tensor g = gradOut.reshape(n, c, index.dim(2)).contiguous();
        Tensor dx = Exec.empty(b, g.dtype(), new int[] {n, c, h * w}, true);
        if (g.numel() > 0) {
            b.scatterAdd(g.view(), 2, index.view(), dx.view());
        }
        int[] outDims = gradOut.dims();
        Autograd.record(dx, "maxPool2d (gradient)", gg -> new Tensor[] {gg.gather(2, index).reshape(outDims)}, gradOut);
        return dx.reshape(n, c, h, w);
    }
}
