package dev.anvil.quantize;

import dev.anvil.Backends;
import dev.anvil.DType;
import dev.anvil.MemoryScope;
import dev.anvil.Shape;
import dev.anvil.Tensor;
import dev.anvil.spi.Backend;
import dev.anvil.spi.Int8Gemm;

/**
 * The engine behind {@link QuantizedLinear} and {@link QuantizedConv2d}: runs {@code x [m, k] -> [m, n]} with
 * the backend's {@link Int8Gemm} kernel, packing the weights once per backend. A backend without the kernel
 * (a GPU, for now) gets the reference kernel on a host copy of the input, so every backend computes the same.
 */
final class Int8Linear {
    private static final Backend REFERENCE = Backends.get("reference");

    /** The prepared weights for one kernel, with host copies of the scales and the bias. */
    private record Plan(Backend backend, Int8Gemm kernel, Int8Gemm.Prepared weights, Tensor scale, Tensor bias,
                        float inputScale) {
    }

    private final Tensor weight;
    private final Tensor weightScale;
    private final Tensor bias;
    private final Tensor inputScale;
    private volatile Plan plan;

    /** {@code weight} I8 [n, k] (a contiguous view of the module's buffer), the others the module's buffers. */
    Int8Linear(Tensor weight, Tensor weightScale, Tensor bias, Tensor inputScale) {
        this.weight = weight;
        this.weightScale = weightScale;
        this.bias = bias;
        this.inputScale = inputScale;
    }

    /** Drops the packed weights (after the buffers were overwritten). */
    void invalidate() {
        plan = null;
    }

    /** {@code x} [m, k] (any dtype, any layout) to F32 [m, n] on x's backend. */
    Tensor apply(Tensor x) {
        Tensor in = x.cast(DType.F32).contiguous();
        Backend b = in.backend();
        Plan p = plan(b);
        int m = in.dim(0);
        int n = weight.dim(0);
        Tensor hostIn = p.backend() == b ? in : in.to(p.backend());
        Tensor out = Tensor.full(Shape.of(m, n), DType.F32, 0, p.backend());
        p.kernel().gemm(hostIn.view(), p.inputScale(), p.weights(), p.scale().view(), p.bias() == null ? null : p.bias().view(),
                out.view());
        return p.backend() == b ? out : out.to(b);
    }

    private Plan plan(Backend b) {
        Plan p = plan;
        if (p != null && (p.backend() == b || (!b.isHost() && p.backend() == REFERENCE))) {
            return p;
        }
        synchronized (this) {
            Backend host = b.isHost() && b.kernel(Int8Gemm.class).isPresent() ? b : REFERENCE;
            Int8Gemm kernel = host.kernel(Int8Gemm.class).orElseThrow();
            p = MemoryScope.atRoot(() -> {
                Tensor w = weight.to(host).contiguous();
                Tensor s = weightScale.to(host).contiguous();
                Tensor bb = bias == null ? null : bias.to(host).contiguous();
                float scale = (float) inputScale.item();
                return new Plan(host, kernel, kernel.prepare(w.view()), s, bb, scale);
            });
            plan = p;
            return p;
        }
    }
}
