package dev.anvil;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Finite-difference gradient checks in F64 for every differentiable op: the analytic gradient of
 * {@code sum(w * f(inputs))} (w fixed random weights, so every output element matters differently) must
 * match central differences to 1e-6 relative.
 */
class GradCheckTest {
    private MemoryScope scope;
    private Backends.Using using;

    @BeforeEach
    void open() {
        using = Backends.use("reference");
        scope = MemoryScope.open("gradcheck");
    }

    @AfterEach
    void close() {
        scope.close();
        using.close();
    }

    private static Tensor in(long seed, int... shape) {
        return Tensor.randn(Shape.of(shape), seed).cast(DType.F64);
    }

    private static Tensor positive(long seed, int... shape) {
        return Tensor.rand(Shape.of(shape), seed).cast(DType.F64).mul(2).add(0.2);
    }

    /** Checks d sum(w * f(x...)) / dx against central differences for every input. */
    static void check(String what, Function<Tensor[], Tensor> f, Tensor... inputs) {
        Tensor[] leaves = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            leaves[i] = inputs[i].copy().detach().requiresGrad(true);
        }
        Tensor out = f.apply(leaves);
        Tensor w;
        try (var off = Autograd.noGrad()) {
            w = Tensor.randn(out.shape(), 99).cast(DType.F64);
        }
        out.mul(w).sum().backward();
        double eps = 1e-6;
        for (int i = 0; i < inputs.length; i++) {
            double[] x = inputs[i].toDoubleArray();
            int[] dims = inputs[i].dims();
            assertNotNull(leaves[i].grad(), what + ": input " + i + " got no gradient");
            double[] analytic = leaves[i].grad().toDoubleArray();
            for (int j = 0; j < x.length; j++) {
                double keep = x[j];
                x[j] = keep + eps;
                double up = evaluate(f, inputs, i, Tensor.fromArray(x.clone(), dims), w);
                x[j] = keep - eps;
                double down = evaluate(f, inputs, i, Tensor.fromArray(x.clone(), dims), w);
                x[j] = keep;
                double numeric = (up - down) / (2 * eps);
                double err = Math.abs(numeric - analytic[j]);
                assertTrue(err <= 1e-6 + 1e-5 * Math.abs(numeric), what + ": d/d input " + i + " element " + j
                        + ": analytic " + analytic[j] + " vs numeric " + numeric);
            }
        }
    }

    private static double evaluate(Function<Tensor[], Tensor> f, Tensor[] inputs, int replaced, Tensor with, Tensor w) {
        try (var off = Autograd.noGrad()) {
            Tensor[] args = inputs.clone();
            args[replaced] = with;
            return f.apply(args).mul(w).sum().item();
        }
    }

    @Test
    void arithmeticWithBroadcasting() {
        check("add", x -> x[0].add(x[1]), in(1, 3, 4), in(2, 4));
        check("sub", x -> x[0].sub(x[1]), in(3, 3, 1), in(4, 1, 5));
        check("mul", x -> x[0].mul(x[1]), in(5, 2, 3, 4), in(6, 3, 1));
        check("div", x -> x[0].div(x[1]), in(7, 3, 4), positive(8, 4));
        check("pow", x -> x[0].pow(x[1]), positive(9, 3, 4), in(10, 3, 4));
        check("pow scalar", x -> x[0].pow(3), in(11, 5));
        check("maximum", x -> x[0].maximum(x[1]), in(12, 3, 4), in(13, 4));
        check("minimum", x -> x[0].minimum(x[1]), in(14, 3, 4), in(15, 3, 1));
        check("scalar ops", x -> x[0].mul(2.5).add(1).sub(3).div(4), in(16, 6));
        check("clamp", x -> x[0].clamp(-0.5, 0.5), in(17, 10));
        check("where", x -> Tensor.where(x[0].gt(0), x[0], x[1]), in(18, 3, 4), in(19, 4));
    }

    @Test
    void unaryFunctions() {
        check("neg", x -> x[0].neg(), in(1, 7));
        check("exp", x -> x[0].exp(), in(2, 7));
        check("log", x -> x[0].log(), positive(3, 7));
        check("sqrt", x -> x[0].sqrt(), positive(4, 7));
        check("rsqrt", x -> x[0].rsqrt(), positive(5, 7));
        check("abs", x -> x[0].abs(), in(6, 7));
        check("tanh", x -> x[0].tanh(), in(7, 7));
        check("sigmoid", x -> x[0].sigmoid(), in(8, 7));
        check("relu", x -> x[0].relu(), in(9, 7));
        check("gelu", x -> x[0].gelu(), in(10, 3, 7).mul(2));
        check("sin", x -> x[0].sin(), in(11, 7));
        check("cos", x -> x[0].cos(), in(12, 7));
    }

    @Test
    void reductions() {
        check("sum all", x -> x[0].sum(), in(1, 3, 4));
        check("sum axis", x -> x[0].sum(1), in(2, 3, 4, 5));
        check("sum axes keep", x -> x[0].sum(new int[] {0, 2}, true), in(3, 3, 4, 5));
        check("mean", x -> x[0].mean(new int[] {-1}, false), in(4, 3, 4));
        check("max", x -> x[0].max(1), in(5, 3, 6));
        check("min all", x -> x[0].min(), in(6, 3, 6));
        check("var", x -> x[0].var(new int[] {1}, 1, false), in(7, 3, 6));
        check("softmax", x -> x[0].softmax(-1), in(8, 3, 5));
        check("softmax axis 0", x -> x[0].softmax(0), in(9, 3, 5));
        check("logSoftmax", x -> x[0].logSoftmax(1), in(10, 4, 5));
    }

    @Test
    void matmulInEveryForm() {
        check("matmul 2-D", x -> x[0].matmul(x[1]), in(1, 3, 4), in(2, 4, 5));
        check("matmul batched", x -> x[0].matmul(x[1]), in(3, 2, 3, 4), in(4, 2, 4, 5));
        check("matmul broadcast batch", x -> x[0].matmul(x[1]), in(5, 2, 1, 3, 4), in(6, 3, 4, 2));
        check("matmul matrix-vector", x -> x[0].matmul(x[1]), in(7, 3, 4), in(8, 4));
        check("matmul vector-matrix", x -> x[0].matmul(x[1]), in(9, 4), in(10, 4, 3));
        check("matmul dot", x -> x[0].matmul(x[1]), in(11, 5), in(12, 5));
        check("matmul transposed operand", x -> x[0].mT().matmul(x[1]), in(13, 4, 3), in(14, 4, 2));
    }

    @Test
    void convolutionAndPoolingBuildingBlocks() {
        int[] k = {3, 3};
        int[] s = {1, 1};
        int[] p = {1, 1};
        int[] d = {1, 1};
        check("unfold", x -> x[0].unfold(k, new int[] {2, 1}, p, d), in(1, 2, 2, 5, 4));
        check("fold", x -> Tensor.fold(x[0], new int[] {4, 4}, k, s, p, d), in(2, 1, 18, 16));
        // a convolution as im2col + matmul, and max pooling as unfold + max
        check("conv2d via im2col", x -> x[1].reshape(3, -1).matmul(x[0].unfold(k, s, p, d)), in(3, 2, 2, 4, 4), in(4, 3, 2, 3, 3));
        // the whole batch's columns as one matrix, and conv2d on it (stride 2, padding 1; and without a bias)
        check("unfoldBatch", x -> Convolutions.unfoldBatch(x[0], k, new int[] {2, 1}, p, d), in(7, 2, 2, 5, 4));
        check("foldBatch", x -> Convolutions.foldBatch(x[0], 2, new int[] {4, 4}, k, s, p, d), in(8, 9, 32));
        check("conv2d", x -> x[0].conv2d(x[1], x[2], 2, 1), in(9, 2, 2, 5, 4), in(10, 3, 2, 3, 3), in(11, 3));
        check("conv2d without bias", x -> x[0].conv2d(x[1], null, 1, 0), in(12, 3, 2, 4, 4), in(13, 2, 2, 2, 3));
        check("conv2dRelu", x -> x[0].conv2dRelu(x[1], x[2], 1, 1), in(14, 2, 2, 5, 4), in(15, 3, 2, 3, 3), in(16, 3));
        check("conv2dReluMaxPool", x -> x[0].conv2dReluMaxPool(x[1], x[2], 1, 1, 2, 2), in(17, 2, 2, 6, 6),
                in(18, 3, 2, 3, 3), in(19, 3));
        check("conv2dReluMaxPool overlapping windows, no bias", x -> x[0].conv2dReluMaxPool(x[1], null, 1, 0, 3, 2),
                in(20, 1, 2, 8, 7), in(21, 2, 2, 2, 2));
        check("max pool 2x2", x -> x[0].reshape(4, 1, 4, 4).unfold(new int[] {2, 2}, new int[] {2, 2}, new int[] {0, 0}, d).max(1),
                in(5, 2, 2, 4, 4));
        check("maxPool2d", x -> x[0].maxPool2d(2, 2), in(6, 2, 3, 6, 6));
        check("maxPool2d 3x3 stride 2", x -> x[0].maxPool2d(3, 2), in(7, 1, 2, 7, 7));
    }

    @Test
    void indexingJoiningAndViews() {
        Tensor idx = Tensor.fromArray(new long[] {2, 0, 2, 1, 1, 0}, 3, 2);
        check("gather", x -> x[0].gather(1, idx), in(1, 3, 4));
        check("indexSelect", x -> x[0].indexSelect(0, Tensor.fromArray(new long[] {1, 1, 0})), in(2, 3, 4));
        check("scatterAdd", x -> x[0].scatterAdd(1, idx, x[1]), in(3, 3, 4), in(4, 3, 2));
        check("concat", x -> Tensor.concat(1, x[0], x[1]), in(5, 2, 3), in(6, 2, 2));
        check("stack", x -> Tensor.stack(0, x[0], x[1]), in(7, 3), in(8, 3));
        check("slice with step", x -> x[0].slice(1, 1, 6, 2), in(9, 3, 7));
        check("select", x -> x[0].select(0, 1), in(10, 3, 4));
        check("split", x -> x[0].split(2, 0).get(1), in(11, 5, 2));
        check("reshape", x -> x[0].reshape(6, 2).mul(x[0].reshape(6, 2)), in(12, 3, 4));
        check("reshape of transposed", x -> x[0].transpose(0, 1).reshape(-1), in(13, 3, 4));
        check("permute", x -> x[0].permute(2, 0, 1), in(14, 2, 3, 4));
        check("expand", x -> x[0].expand(4, 3, 2), in(15, 3, 1));
        check("squeeze unsqueeze", x -> x[0].squeeze().unsqueeze(1), in(16, 1, 4, 1));
        check("contiguous of a view", x -> x[0].mT().contiguous(), in(17, 3, 4));
    }

    @Test
    void gradientsAccumulateAndDetachStopsThem() {
        Tensor w = in(1, 3).requiresGrad(true);
        w.mul(2).sum().backward();
        w.mul(3).sum().backward();
        assertEquals(5.0, w.grad().toDoubleArray()[0], 1e-12);
        w.zeroGrad();
        assertEquals(0.0, w.grad().sum().item());
        Tensor d = w.detach();
        assertTrue(!d.requiresGrad());
        Tensor u = in(2, 3).requiresGrad(true);
        u.mul(d).sum().backward();
        assertEquals(0.0, w.grad().sum().item(), "a detached tensor passes no gradient back");
        assertNotNull(u.grad());
        // shared subexpressions: y = x*x used twice
        Tensor x = Tensor.fromArray(new double[] {3}).requiresGrad(true);
        Tensor y = x.mul(x);
        y.add(y).sum().backward();
        assertEquals(12.0, x.grad().item(), 1e-12);
        // through a cast: the gradient comes back in the leaf's type
        Tensor v = in(3, 4).requiresGrad(true);
        v.cast(DType.F32).mul(3).sum().backward();
        assertEquals(DType.F64, v.grad().dtype());
        assertEquals(12.0, v.grad().sum().item(), 1e-6);
    }

    @Test
    void noGradRecordsNothingAndErrorsAreClear() {
        Tensor w = in(1, 3).requiresGrad(true);
        Tensor y;
        try (var off = Autograd.noGrad()) {
            y = w.mul(2);
            w.addInPlace(Tensor.ones(Shape.of(3), DType.F64), 1);
        }
        assertTrue(!y.requiresGrad() && y.isLeaf());
        assertThrows(IllegalStateException.class, y::backward);
        assertThrows(IllegalArgumentException.class, () -> w.mul(2).backward());
        var e = assertThrows(IllegalStateException.class, () -> w.addInPlace(w, 1));
        assertTrue(e.getMessage().contains("noGrad"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor.arange(3).requiresGrad(true));
        assertNull(in(2, 2).grad());
    }

    @Test
    void gradientBuffersSurviveTheStepScope() {
        Tensor w = in(1, 4).requiresGrad(true);
        for (int step = 0; step < 3; step++) {
            try (MemoryScope s = MemoryScope.open("step")) {
                w.zeroGrad();
                w.mul(w).sum().backward();
            }
            assertTrue(w.grad().isAlive());
        }
        double[] expect = w.mul(2).toDoubleArray();
        double[] got = w.grad().toDoubleArray();
        for (int i = 0; i < 4; i++) {
            assertEquals(expect[i], got[i], 1e-12);
        }
    }
}
