package dev.anvil.quantize;

import dev.anvil.DType;
import dev.anvil.Shape;
import dev.anvil.Tensor;
import dev.anvil.nn.Linear;
import dev.anvil.nn.Module;

/**
 * An int8 {@link Linear}: weights quantized symmetrically per output channel, the input quantized with a scale
 * found by calibration, and an int8 x int8 -> int32 product whose rescale and bias are fused into the output
 * (see {@link dev.anvil.spi.Int8Gemm}). Inference only: no gradient flows through it.
 *
 * <p>State (saved in packages): {@code weight} I8 [out, in], {@code weight_scale} F32 [out], {@code bias} F32
 * [out], {@code input_scale} F32 [1].
 *
 * <pre>{@code
 * QuantizedLinear q = QuantizedLinear.of(linear, 0.02f);   // input scale from calibration
 * Tensor y = q.forward(x);                                  // ~ linear.forward(x)
 * }</pre>
 */
public final class QuantizedLinear extends Module {
    private final int in;
    private final int out;
    private final Int8Linear engine;

    /** An empty layer (zero weights) to load a state dict into. */
    public QuantizedLinear(int in, int out) {
        if (in <= 0 || out <= 0) {
            throw new IllegalArgumentException("QuantizedLinear: sizes must be positive, got in=" + in + " out=" + out);
        }
        this.in = in;
        this.out = out;
        Tensor w = frozenWeight("weight", Tensor.zeros(Shape.of(out, in), DType.I8));
        Tensor s = buffer("weight_scale", Tensor.ones(Shape.of(out), DType.F32));
        Tensor b = frozenWeight("bias", Tensor.zeros(Shape.of(out), DType.F32));
        Tensor x = buffer("input_scale", Tensor.ones(Shape.of(1), DType.F32));
        this.engine = new Int8Linear(w, s, b, x);
        eval();
    }

    /** Quantizes {@code linear}'s weights per output channel; {@code inputScale} is the input's step (from calibration). */
    public static QuantizedLinear of(Linear linear, float inputScale) {
        QuantizedLinear q = new QuantizedLinear(linear.inFeatures(), linear.outFeatures());
        Quantization.Weights w = Quantization.perChannel(linear.weight());
        Tensor bias = linear.bias() == null ? Tensor.zeros(Shape.of(q.out), DType.F32) : linear.bias();
        q.loadStateDict(java.util.Map.of("weight", w.values(), "weight_scale", w.scales(), "bias", bias,
                "input_scale", Tensor.fromArray(new float[] {Quantization.checkScale(inputScale)}, 1)));
        return q;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() == 0 || x.dim(-1) != in) {
            throw new IllegalArgumentException("QuantizedLinear(" + in + " -> " + out + "): input " + x.shape()
                    + " must end in " + in + " features");
        }
        int[] dims = x.dims();
        dims[dims.length - 1] = out;
        return engine.apply(x.reshape(-1, in)).reshape(dims);
    }

    @Override
    protected void stateLoaded() {
        engine.invalidate();
    }

    public int inFeatures() {
        return in;
    }

    public int outFeatures() {
        return out;
    }
}
