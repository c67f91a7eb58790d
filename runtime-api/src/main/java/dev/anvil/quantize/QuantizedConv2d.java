package dev.anvil.quantize;

import dev.anvil.DType;
import dev.anvil.Shape;
import dev.anvil.Tensor;
import dev.anvil.nn.Conv2d;
import dev.anvil.nn.Module;

/**
 * An int8 {@link Conv2d}: the input unfolded into patches (im2col), each patch a row of an int8 product with the
 * filters quantized per output channel, rescale and bias fused (see {@link QuantizedLinear}). Inference only.
 *
 * <p>State: {@code weight} I8 [out, in, k, k], {@code weight_scale} F32 [out], {@code bias} F32 [out],
 * {@code input_scale} F32 [1].
 *
 * <pre>{@code
 * QuantizedConv2d q = QuantizedConv2d.of(conv, 0.05f);
 * }</pre>
 */
public final class QuantizedConv2d extends Module {
    private final int inChannels;
    private final int outChannels;
    private final int kernel;
    private final int stride;
    private final int padding;
    private final Int8Linear engine;

    /** An empty layer (zero weights) to load a state dict into. */
    public QuantizedConv2d(int inChannels, int outChannels, int kernel, int stride, int padding) {
        if (inChannels <= 0 || outChannels <= 0 || kernel <= 0 || stride <= 0 || padding < 0) {
            throw new IllegalArgumentException("QuantizedConv2d: channels, kernel and stride must be positive and padding >= 0, "
                    + "got " + inChannels + " -> " + outChannels + ", kernel " + kernel + ", stride " + stride + ", padding "
                    + padding);
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        Tensor w = frozenWeight("weight", Tensor.zeros(Shape.of(outChannels, inChannels, kernel, kernel), DType.I8));
        Tensor s = buffer("weight_scale", Tensor.ones(Shape.of(outChannels), DType.F32));
        Tensor b = frozenWeight("bias", Tensor.zeros(Shape.of(outChannels), DType.F32));
        Tensor x = buffer("input_scale", Tensor.ones(Shape.of(1), DType.F32));
        this.engine = new Int8Linear(w.reshape(outChannels, -1), s, b, x);
        eval();
    }

    /** Quantizes {@code conv}'s filters per output channel; {@code inputScale} is the input's step (from calibration). */
    public static QuantizedConv2d of(Conv2d conv, float inputScale) {
        QuantizedConv2d q = new QuantizedConv2d(conv.inChannels(), conv.outChannels(), conv.kernel(), conv.stride(),
                conv.padding());
        Quantization.Weights w = Quantization.perChannel(conv.weight());
        q.loadStateDict(java.util.Map.of("weight", w.values(), "weight_scale", w.scales(), "bias", conv.bias(),
                "input_scale", Tensor.fromArray(new float[] {Quantization.checkScale(inputScale)}, 1)));
        return q;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() != 4 || x.dim(1) != inChannels) {
            throw new IllegalArgumentException("QuantizedConv2d(" + inChannels + " -> " + outChannels + "): input " + x.shape()
                    + " must be [n, " + inChannels + ", h, w]");
        }
        int n = x.dim(0);
        int oh = (x.dim(2) + 2 * padding - kernel) / stride + 1;
        int ow = (x.dim(3) + 2 * padding - kernel) / stride + 1;
        Tensor cols = x.unfold(new int[] {kernel, kernel}, new int[] {stride, stride}, new int[] {padding, padding},
                new int[] {1, 1});                                                  // [n, in*k*k, oh*ow]
        Tensor patches = cols.permute(0, 2, 1).reshape(n * oh * ow, -1);            // one patch per row
        Tensor y = engine.apply(patches);                                           // [n*oh*ow, out]
        return y.reshape(n, oh * ow, outChannels).permute(0, 2, 1).reshape(n, outChannels, oh, ow);
    }

    @Override
    protected void stateLoaded() {
        engine.invalidate();
    }

    public int inChannels() {
        return inChannels;
    }

    public int outChannels() {
        return outChannels;
    }

    public int kernel() {
        return kernel;
    }

    public int stride() {
        return stride;
    }

    public int padding() {
        return padding;
    }
}
