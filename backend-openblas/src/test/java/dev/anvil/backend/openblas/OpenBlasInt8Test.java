package dev.anvil.backend.openblas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anvil.Autograd;
import dev.anvil.Backends;
import dev.anvil.MemoryScope;
import dev.anvil.Shape;
import dev.anvil.Tensor;
import dev.anvil.nn.Linear;
import dev.anvil.quantize.QuantizedLinear;
import dev.anvil.spi.Backend;
import dev.anvil.spi.Int8Gemm;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** openblas offers the vector backend's int8 kernel, and it agrees with the reference bit for bit. */
class OpenBlasInt8Test {

    private static float[] run(Backend b, QuantizedLinear q) {
        try (var u = Backends.use(b); var off = Autograd.noGrad(); MemoryScope s = MemoryScope.open()) {
            return q.forward(Tensor.randn(Shape.of(37, 91), 3)).toFloatArray();
        }
    }

    @Test
    void quantizedLinearRunsTheSharedKernelAndMatchesTheReference() {
        Backend blas = Backends.get("openblas");
        assertTrue(blas.kernel(Int8Gemm.class).isPresent());
        QuantizedLinear q = QuantizedLinear.of(new Linear(91, 29, new SplittableRandom(1)), 0.03f);
        assertArrayEquals(run(Backends.get("reference"), q), run(blas, q));
    }
}
