package dev.anvil.conformance;

import static dev.anvil.conformance.Conformance.positive;
import static dev.anvil.conformance.Conformance.rnd;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anvil.Backends;
import dev.anvil.DType;
import dev.anvil.MemoryScope;
import dev.anvil.Shape;
import dev.anvil.Tensor;
import dev.anvil.conformance.Conformance.Tol;
import dev.anvil.spi.Backend;
import dev.anvil.spi.UnaryOp;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The one conformance suite every backend runs (candle's {@code test_device!} idea): each primitive and each
 * API op, on the backend under test and on the reference backend, with the same seeded inputs. A backend
 * module subclasses this and names its backend.
 *
 * <p>Tolerances (see {@link Tol}): data movement, casts, comparisons, max/min/arg and indexing are exact;
 * arithmetic 2e-6 relative; transcendental functions 1e-5 relative + 1e-6 absolute; sums and matrix
 * products 1e-5 * sqrt(terms) relative + absolute; F64 1e-12.
 */
public abstract class BackendConformanceSuite {
    /** Sizes that leave SIMD tails for 4, 8 and 16 lanes. */
    static final int[] TAIL_SIZES = {1, 3, 15, 17, 33, 1023};

    /** The name of the backend under test, e.g. {@code "cpu-vector"}. */
    protected abstract String backendName();

    private Conformance c;

    private Conformance c() {
        if (c == null) {
            c = new Conformance(backendName());
        }
        return c;
    }

    // ------------------------------------------------------------------ creation and data movement

    @Test
    public void creationOpsAgree() {
        c().agree("zeros", Tol.EXACT, () -> Tensor.zeros(3, 17));
        c().agree("ones I32", Tol.EXACT, () -> Tensor.ones(Shape.of(33), DType.I32));
        c().agree("full F64", Tol.EXACT, () -> Tensor.full(Shape.of(2, 3), DType.F64, -2.5));
        c().agree("arange", Tol.EXACT, () -> Tensor.arange(17));
        c().agree("arange fractional", Tol.EXACT, () -> Tensor.arange(0, 2, 0.25));
        c().agree("linspace", Tol.EXACT, () -> Tensor.linspace(-1, 1, 15));
        c().agree("eye", Tol.EXACT, () -> Tensor.eye(5, 3));
        c().agree("rand", Tol.EXACT, () -> Tensor.rand(Shape.of(4, 33), 7));
        c().agree("randn", Tol.EXACT, () -> rnd(8, 1023));
        c().agree("randint", Tol.EXACT, () -> Tensor.randint(-5, 5, Shape.of(17), 9));
        c().agree("scalar", Tol.EXACT, () -> Tensor.scalar(3.25));
        c().agree("empty", Tol.EXACT, () -> Tensor.zeros(0, 3));
        c().agree("fromArray bool", Tol.EXACT, () -> Tensor.fromArray(new boolean[] {true, false, true}));
        c().agree("fromBytes u8", Tol.EXACT, () -> Tensor.fromBytes(new byte[] {0, 127, (byte) 200, (byte) 255}, DType.U8, 2, 2));
    }

    static Stream<Arguments> dtypePairs() {
        return Stream.of(DType.values()).flatMap(a -> Stream.of(DType.values()).map(b -> Arguments.of(a, b)));
    }

    @ParameterizedTest(name = "cast {0} -> {1}")
    @MethodSource("dtypePairs")
    public void castsAgreeBetweenEveryPairOfTypes(DType from, DType to) {
        float[] values = {-300.7f, -3.7f, -1f, -0.5f, 0f, 0.5f, 1f, 2.5f, 127f, 128f, 255f, 256f, 300.2f, 65504f, 1e-3f, 7e5f, 1.1754944e-38f};
        c().agree("cast " + from + "->" + to, Tol.EXACT, () -> Tensor.fromArray(values).cast(from).cast(to));
        // strided source
        c().agree("cast strided " + from + "->" + to, Tol.EXACT,
                () -> rnd(3, 5, 7).mul(100).cast(from).transpose(0, 1).cast(to));
    }

    @Test
    public void transfersAndViewsAgree() {
        c().agree("transpose contiguous", Tol.EXACT, () -> rnd(1, 17, 33).transpose(0, 1).contiguous());
        c().agree("permute", Tol.EXACT, () -> rnd(2, 3, 4, 5).permute(2, 0, 1).contiguous());
        c().agree("slice with step", Tol.EXACT, () -> rnd(3, 33, 17).slice(0, 1, 30, 3).slice(1, -10, 17, 2).contiguous());
        c().agree("reshape of non-contiguous", Tol.EXACT, () -> rnd(4, 6, 8).transpose(0, 1).reshape(4, 12));
        c().agree("expand", Tol.EXACT, () -> rnd(5, 3, 1).expand(2, 3, 17).contiguous());
        c().agree("squeeze unsqueeze", Tol.EXACT, () -> rnd(6, 1, 5, 1).squeeze().unsqueeze(0).unsqueeze(2).contiguous());
        c().agree("select", Tol.EXACT, () -> rnd(7, 4, 5).select(1, -2).contiguous());
        c().agree("copyFrom broadcast", Tol.EXACT, () -> Tensor.zeros(4, 5).copyFrom(rnd(8, 5)));
        c().agree("fill strided", Tol.EXACT, () -> {
            Tensor t = Tensor.zeros(6, 6);
            t.slice(0, 0, 6, 2).fill(3.5);
            return t;
        });
        c().agree("to() round trip", Tol.EXACT, () -> rnd(9, 17).to(Backends.get("reference")).to(Backends.current()));
    }

    // ------------------------------------------------------------------ elementwise

    static Tol unaryTol(UnaryOp op) {
        return switch (op) {
            case NEG, ABS, RELU -> Tol.EXACT;
            case SQRT, RSQRT -> Tol.F32;
            default -> Tol.F32_TRANSCENDENTAL;
        };
    }

    static UnaryOperator<Tensor> unaryFn(UnaryOp op) {
        return switch (op) {
            case NEG -> Tensor::neg;
            case EXP -> Tensor::exp;
            case LOG -> Tensor::log;
            case SQRT -> Tensor::sqrt;
            case RSQRT -> Tensor::rsqrt;
            case ABS -> Tensor::abs;
            case TANH -> Tensor::tanh;
            case SIGMOID -> Tensor::sigmoid;
            case RELU -> Tensor::relu;
            case GELU -> Tensor::gelu;
            case SIN -> Tensor::sin;
            case COS -> Tensor::cos;
        };
    }

    static boolean needsPositive(UnaryOp op) {
        return op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RSQRT;
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(UnaryOp.class)
    public void unaryOpsAgreeOnTailSizesViewsAndSpecialValues(UnaryOp op) {
        UnaryOperator<Tensor> f = unaryFn(op);
        Tol tol = unaryTol(op);
        for (int n : TAIL_SIZES) {
            c().agree(op + " n=" + n, tol, () -> f.apply(needsPositive(op) ? positive(n, n) : rnd(n, n).mul(3)));
        }
        c().agree(op + " transposed", tol, () -> f.apply((needsPositive(op) ? positive(2, 17, 33) : rnd(2, 17, 33)).transpose(0, 1)));
        c().agree(op + " broadcast view", tol, () -> f.apply(positive(3, 1, 17).expand(5, 17)));
        c().agree(op + " 0-d", tol, () -> f.apply(Tensor.scalar(0.75)));
        c().agree(op + " empty", tol, () -> f.apply(Tensor.zeros(0, 4)));
        c().agree(op + " special values", tol, () -> f.apply(Tensor.fromArray(new float[] {Float.NaN, Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY, 0f, -0f, 88f, -88f, 1e-30f, 40f, -40f, 1e4f, -1e4f})));
        c().agree(op + " F64", Tol.F64, () -> f.apply((needsPositive(op) ? positive(4, 33) : rnd(4, 33)).cast(DType.F64)));
        if (op.integral()) {
            c().agree(op + " I32", Tol.EXACT, () -> f.apply(Tensor.randint(-50, 50, Shape.of(33), 5).cast(DType.I32)));
        }
    }

    static Stream<Arguments> broadcastShapes() {
        return Stream.of(
                Arguments.of(new int[] {17}, new int[] {17}),
                Arguments.of(new int[] {1023}, new int[] {1023}),
                Arguments.of(new int[] {33, 17}, new int[] {17}),
                Arguments.of(new int[] {33, 17}, new int[] {33, 1}),
                Arguments.of(new int[] {1, 17}, new int[] {33, 1}),
                Arguments.of(new int[] {15}, new int[] {}),
                Arguments.of(new int[] {}, new int[] {3, 15}),
                Arguments.of(new int[] {2, 1, 3}, new int[] {4, 1}),
                Arguments.of(new int[] {4, 1, 5}, new int[] {1, 3, 1}),
                Arguments.of(new int[] {0, 3}, new int[] {3}),
                Arguments.of(new int[] {}, new int[] {}));
    }

    static final List<String> BINARY = List.of("add", "sub", "mul", "div", "pow", "maximum", "minimum", "eq", "ne", "lt",
            "le", "gt", "ge");

    static Tensor binary(String op, Tensor a, Tensor b) {
        return switch (op) {
            case "add" -> a.add(b);
            case "sub" -> a.sub(b);
            case "mul" -> a.mul(b);
            case "div" -> a.div(b);
            case "pow" -> a.abs().add(0.1).pow(b);
            case "maximum" -> a.maximum(b);
            case "minimum" -> a.minimum(b);
            case "eq" -> coarse(a).eq(coarse(b));
            case "ne" -> coarse(a).ne(coarse(b));
            case "lt" -> a.lt(b);
            case "le" -> coarse(a).le(coarse(b));
            case "gt" -> a.gt(b);
            case "ge" -> coarse(a).ge(coarse(b));
            default -> throw new IllegalArgumentException(op);
        };
    }

    /** Values on a grid of 0.5, so that comparisons meet ties. */
    static Tensor coarse(Tensor t) {
        return t.mul(2).cast(DType.I32).cast(DType.F32);
    }

    static Tol binaryTol(String op) {
        return op.equals("pow") ? Tol.F32_TRANSCENDENTAL : op.equals("div") ? Tol.F32 : Tol.EXACT;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("broadcastShapes")
    public void binaryOpsAgreeInEveryBroadcastPosition(int[] sa, int[] sb) {
        for (String op : BINARY) {
            String what = op + " " + Shape.of(sa) + " " + Shape.of(sb);
            c().agree(what, binaryTol(op), () -> binary(op, rnd(11, sa), rnd(12, sb)));
            c().agree(what + " swapped", binaryTol(op), () -> binary(op, rnd(13, sb), rnd(14, sa)));
        }
    }

    @Test
    public void binaryOpsAgreeOnStridedOperandsAndTypes() {
        for (String op : BINARY) {
            c().agree(op + " transposed", binaryTol(op), () -> binary(op, rnd(1, 17, 33).transpose(0, 1), rnd(2, 33, 17)));
            c().agree(op + " sliced", binaryTol(op), () -> binary(op, rnd(3, 40).slice(0, 1, 40, 2), rnd(4, 20, 3).select(1, 1)));
            c().agree(op + " F64", op.equals("pow") ? new Tol(1e-12, 1e-12) : Tol.F64,
                    () -> binary(op, rnd(5, 33).cast(DType.F64), rnd(6, 33).cast(DType.F64)));
        }
        for (String op : List.of("add", "sub", "mul", "maximum", "minimum", "eq", "lt", "ge")) {
            c().agree(op + " I32", Tol.EXACT, () -> binary(op, Tensor.randint(-100, 100, Shape.of(33), 1).cast(DType.I32),
                    Tensor.randint(-100, 100, Shape.of(33), 2).cast(DType.I32)));
            c().agree(op + " I64 + F32 promotes", Tol.F32, () -> binary(op, Tensor.randint(-9, 9, Shape.of(17), 3), rnd(4, 17)));
        }
        c().agree("int division is true division", Tol.F32, () -> Tensor.fromArray(new int[] {7, -7, 1}).div(Tensor.fromArray(new int[] {2, 2, 3})));
        c().agree("scalar operand", Tol.F32, () -> rnd(7, 1023).mul(2.5).add(1).sub(0.25).div(3));
        c().agree("clamp", Tol.EXACT, () -> rnd(8, 33).clamp(-0.5, 0.5));
        c().agree("NaN and infinity propagate", Tol.EXACT, () -> {
            Tensor a = Tensor.fromArray(new float[] {Float.NaN, 1, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0, Float.NaN, 2, 3});
            Tensor b = Tensor.fromArray(new float[] {1, Float.NaN, Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY, 0, Float.NaN, -1, 5});
            return Tensor.concat(0, a.add(b), a.sub(b), a.mul(b), a.div(b), a.maximum(b), a.minimum(b),
                    a.eq(b).cast(DType.F32), a.ne(b).cast(DType.F32), a.lt(b).cast(DType.F32), a.ge(b).cast(DType.F32));
        });
    }

    @Test
    public void whereAgreesWithBroadcasting() {
        c().agree("where", Tol.EXACT, () -> Tensor.where(rnd(1, 33, 1).gt(0), rnd(2, 17), rnd(3, 33, 17)));
        c().agree("where scalar branches", Tol.EXACT, () -> Tensor.where(rnd(4, 1023).lt(0), Tensor.scalar(0), Tensor.scalar(1)));
        c().agree("where mixed types", Tol.EXACT, () -> Tensor.where(Tensor.fromArray(new int[] {1, 0, 2}),
                Tensor.fromArray(new long[] {5, 6, 7}), rnd(5, 3)));
    }

    @Test
    public void fusedAddInPlaceAgreesWithComposition() {
        for (int n : TAIL_SIZES) {
            c().agree("addInPlace n=" + n, Tol.F32, () -> rnd(1, n).copy().addInPlace(rnd(2, n), -0.375));
        }
        c().agree("addInPlace broadcast", Tol.F32, () -> rnd(3, 4, 17).copy().addInPlace(rnd(4, 17), 2));
        c().agree("addInPlace strided target", Tol.F32, () -> {
            Tensor t = rnd(5, 17, 33).copy();
            t.transpose(0, 1).addInPlace(rnd(6, 33, 17), 0.5);
            return t;
        });
        c().agree("addInPlace F64", Tol.F64, () -> rnd(7, 33).cast(DType.F64).copy().addInPlace(rnd(8, 33).cast(DType.F64), 3));
    }

    @Test
    public void optimizerStepsAgreeWithTheComposedUpdate() {
        for (boolean decoupled : new boolean[] {false, true}) {
            for (DType t : new DType[] {DType.F32, DType.F64}) {
                String w = (decoupled ? "AdamW " : "Adam ") + t;
                c().agree(w, t == DType.F32 ? new Tol(1e-5, 1e-6) : Tol.F64, () -> {
                    Tensor p = rnd(1, 33, 17).cast(t).copy().requiresGrad(true);
                    dev.anvil.optim.Optimizer opt = decoupled
                            ? new dev.anvil.optim.AdamW(java.util.List.of(p), 0.01, 0.9, 0.999, 1e-8, 0.1)
                            : new dev.anvil.optim.Adam(java.util.List.of(p), 0.01, 0.9, 0.999, 1e-8, 0.05);
                    for (int step = 0; step < 3; step++) {
                        opt.zeroGrad();
                        p.mul(p).mul(rnd(2, 33, 17).cast(t)).sum().backward();
                        opt.step();
                    }
                    return p.detach();
                });
            }
        }
        c().agree("SGD momentum", Tol.F32, () -> {
            Tensor p = rnd(3, 1023).copy().requiresGrad(true);
            var opt = new dev.anvil.optim.Sgd(java.util.List.of(p), 0.1, 0.9, true, 0.01);
            for (int step = 0; step < 3; step++) {
                opt.zeroGrad();
                p.mul(p).sum().backward();
                opt.step();
            }
            return p.detach();
        });
    }

    // ------------------------------------------------------------------ reductions

    static Stream<Arguments> reductionCases() {
        return Stream.of(
                Arguments.of(new int[] {1023}, new int[] {0}),
                Arguments.of(new int[] {17, 33}, new int[] {1}),
                Arguments.of(new int[] {17, 33}, new int[] {0}),
                Arguments.of(new int[] {17, 33}, new int[] {}),
                Arguments.of(new int[] {3, 4, 5}, new int[] {0, 2}),
                Arguments.of(new int[] {3, 4, 5}, new int[] {1}),
                Arguments.of(new int[] {3, 4, 5}, new int[] {-1, -2}),
                Arguments.of(new int[] {2, 1, 15}, new int[] {1}),
                Arguments.of(new int[] {256, 1}, new int[] {0}));
    }

    @ParameterizedTest(name = "{0} over {1}")
    @MethodSource("reductionCases")
    public void reductionsAgreeOverAxes(int[] shape, int[] axes) {
        long terms = Shape.of(shape).numel();
        Tol sum = Tol.f32Sum(terms);
        for (boolean keep : new boolean[] {false, true}) {
            String w = Shape.of(shape) + " axes " + java.util.Arrays.toString(axes) + " keep=" + keep;
            c().agree("sum " + w, sum, () -> rnd(1, shape).sum(axes, keep));
            c().agree("mean " + w, sum, () -> rnd(2, shape).mean(axes, keep));
            c().agree("max " + w, Tol.EXACT, () -> rnd(3, shape).max(axes, keep));
            c().agree("min " + w, Tol.EXACT, () -> rnd(4, shape).min(axes, keep));
            c().agree("var " + w, sum, () -> rnd(5, shape).var(axes, 1, keep));
            c().agree("sum transposed " + w, sum, () -> rnd(6, shape).permute(reversed(shape.length)).sum(axes, keep));
            c().agree("sum I32 " + w, Tol.EXACT, () -> Tensor.randint(-100, 100, Shape.of(shape), 7).cast(DType.I32).sum(axes, keep));
            c().agree("max F64 " + w, Tol.EXACT, () -> rnd(8, shape).cast(DType.F64).max(axes, keep));
            c().agree("sum F64 " + w, Tol.F64, () -> rnd(9, shape).cast(DType.F64).sum(axes, keep));
        }
    }

    private static int[] reversed(int rank) {
        int[] p = new int[rank];
        for (int i = 0; i < rank; i++) {
            p[i] = rank - 1 - i;
        }
        return p;
    }

    @Test
    public void argReductionsAgree() {
        for (int n : TAIL_SIZES) {
            c().agree("argmax n=" + n, Tol.EXACT, () -> rnd(n, n).argmax());
            c().agree("argmin n=" + n, Tol.EXACT, () -> rnd(n, n).argmin());
        }
        c().agree("argmax axis 0", Tol.EXACT, () -> rnd(1, 17, 33).argmax(0));
        c().agree("argmin axis 1 keep", Tol.EXACT, () -> rnd(2, 17, 33).argmin(1, true));
        c().agree("argmax transposed", Tol.EXACT, () -> rnd(3, 17, 33).transpose(0, 1).argmax(1));
        c().agree("argmax ties take the first", Tol.EXACT, () -> Tensor.fromArray(new float[] {1, 3, 3, 2}).argmax());
        c().agree("argmax NaN wins", Tol.EXACT, () -> Tensor.fromArray(new float[] {1, Float.NaN, 3}).argmax());
        c().agree("argmax I64", Tol.EXACT, () -> Tensor.randint(0, 5, Shape.of(4, 17), 4).argmax(1));
    }

    @Test
    public void reductionsPropagateNaNAndHandleEmptyAndScalars() {
        c().agree("max with NaN", Tol.EXACT, () -> Tensor.fromArray(new float[] {1, Float.NaN, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}).max());
        c().agree("min with NaN in rows", Tol.EXACT, () -> Tensor.fromArray(new float[] {1, Float.NaN, 3, 4, 5, 6}, 2, 3).min(1));
        c().agree("sum with inf", Tol.EXACT, () -> Tensor.fromArray(new float[] {1, Float.POSITIVE_INFINITY, 3}).sum());
        c().agree("sum of empty is 0", Tol.EXACT, () -> Tensor.zeros(0, 3).sum(0));
        c().agree("sum of 0-d", Tol.EXACT, () -> Tensor.scalar(2.5).sum());
        c().agree("mean of 0-d", Tol.EXACT, () -> Tensor.scalar(2.5).mean());
        c().agree("sum of bool counts", Tol.EXACT, () -> rnd(1, 1023).gt(0).sum());
    }

    @Test
    public void largeSumsStayAccurate() {
        // 4M copies of 0.1f: a naive F32 loop drifts by percent; the reference accumulates in double.
        c().agree("sum of 4M x 0.1", new Tol(1e-6, 0), () -> Tensor.full(Shape.of(1 << 22), DType.F32, 0.1).sum());
        c().agree("row sums of 1024 x 4096", Tol.f32Sum(4096), () -> rnd(1, 1024, 4096).sum(1));
        c().agree("column sums of 4096 x 256", Tol.f32Sum(4096), () -> rnd(2, 4096, 256).sum(0));
    }

    @Test
    public void softmaxAgreesAndStaysFiniteForLargeInputs() {
        for (int n : TAIL_SIZES) {
            c().agree("softmax n=" + n, Tol.F32_TRANSCENDENTAL, () -> rnd(n, 4, n).mul(5).softmax(-1));
            c().agree("logSoftmax n=" + n, Tol.F32_TRANSCENDENTAL, () -> rnd(n, 4, n).mul(5).logSoftmax(-1));
        }
        c().agree("softmax axis 0", Tol.F32_TRANSCENDENTAL, () -> rnd(1, 17, 33).softmax(0));
        c().agree("softmax transposed input", Tol.F32_TRANSCENDENTAL, () -> rnd(2, 17, 33).transpose(0, 1).softmax(1));
        c().agree("softmax large magnitudes", Tol.F32_TRANSCENDENTAL,
                () -> Tensor.fromArray(new float[] {1e4f, 0, -1e4f, 1e4f, 1e4f, 3e38f}, 2, 3).softmax(-1));
        c().agree("logSoftmax large magnitudes", Tol.F32_TRANSCENDENTAL,
                () -> Tensor.fromArray(new float[] {1e4f, 0, -1e4f, -1e4f, -1e4f, -1e4f}, 2, 3).logSoftmax(-1));
        c().agree("softmax with NaN", Tol.EXACT, () -> Tensor.fromArray(new float[] {1, Float.NaN, 2}).softmax(0));
        c().agree("softmax F64", Tol.F64, () -> rnd(3, 5, 17).cast(DType.F64).softmax(1));
        c().agree("softmax 0-d", Tol.EXACT, () -> Tensor.scalar(4).softmax(0));
        c().agree("softmax empty rows", Tol.EXACT, () -> Tensor.zeros(0, 5).softmax(1));
        try (MemoryScope s = MemoryScope.open(); var u = Backends.use(c().tested())) {
            float[] p = Tensor.fromArray(new float[] {1e4f, 0, -1e4f}).softmax(0).toFloatArray();
            assertEquals(1f, p[0]);
            assertTrue(Float.isFinite(p[1]) && Float.isFinite(p[2]));
        }
    }

    // ------------------------------------------------------------------ linear algebra

    static Stream<Arguments> matmulShapes() {
        return Stream.of(
                Arguments.of(new int[] {1, 1}, new int[] {1, 1}),
                Arguments.of(new int[] {3, 17}, new int[] {17, 15}),
                Arguments.of(new int[] {33, 65}, new int[] {65, 17}),
                Arguments.of(new int[] {130, 67}, new int[] {67, 129}),
                Arguments.of(new int[] {17}, new int[] {17, 3}),
                Arguments.of(new int[] {3, 17}, new int[] {17}),
                Arguments.of(new int[] {33}, new int[] {33}),
                Arguments.of(new int[] {4, 5, 6}, new int[] {6, 7}),
                Arguments.of(new int[] {2, 1, 5, 6}, new int[] {3, 6, 4}),
                Arguments.of(new int[] {6}, new int[] {2, 6, 3}),
                // matrix-vector products of a batch-1 MLP layer's size (odd output counts), column output, batched
                Arguments.of(new int[] {1, 784}, new int[] {784, 257}),
                Arguments.of(new int[] {301, 300}, new int[] {300}),
                Arguments.of(new int[] {3, 1, 300}, new int[] {300, 131}),
                Arguments.of(new int[] {5, 0}, new int[] {0, 3}),
                Arguments.of(new int[] {0, 4}, new int[] {4, 3}));
    }

    @ParameterizedTest(name = "{0} x {1}")
    @MethodSource("matmulShapes")
    public void matmulAgreesForMatricesVectorsAndBatches(int[] sa, int[] sb) {
        int k = sa[sa.length - 1];
        Tol tol = Tol.f32Sum(k);
        c().agree("matmul", tol, () -> rnd(1, sa).matmul(rnd(2, sb)));
        c().agree("matmul F64", Tol.F64, () -> rnd(3, sa).cast(DType.F64).matmul(rnd(4, sb).cast(DType.F64)));
        if (sa.length >= 2 && sb.length >= 2) {
            int[] ta = sa.clone();
            ta[ta.length - 1] = sa[sa.length - 2];
            ta[ta.length - 2] = sa[sa.length - 1];
            int[] tb = sb.clone();
            tb[tb.length - 1] = sb[sb.length - 2];
            tb[tb.length - 2] = sb[sb.length - 1];
            c().agree("matmul A^T", tol, () -> rnd(5, ta).mT().matmul(rnd(6, sb)));
            c().agree("matmul B^T", tol, () -> rnd(7, sa).matmul(rnd(8, tb).mT()));
            c().agree("matmul A^T B^T", tol, () -> rnd(9, ta).mT().matmul(rnd(10, tb).mT()));
        }
    }

    @Test
    public void matmulAgreesOnViewsThatNeedCopies() {
        c().agree("matmul sliced rows", Tol.f32Sum(17), () -> rnd(1, 40, 17).slice(0, 0, 40, 3).matmul(rnd(2, 17, 9)));
        c().agree("matmul strided columns", Tol.f32Sum(9), () -> rnd(3, 5, 18).slice(1, 0, 18, 2).matmul(rnd(4, 9, 4)));
        c().agree("matmul permuted batch", Tol.f32Sum(6), () -> rnd(5, 5, 3, 6).permute(1, 0, 2).matmul(rnd(6, 3, 6, 2)));
        c().agree("matmul with NaN", Tol.EXACT, () -> Tensor.fromArray(new float[] {Float.NaN, 1, 2, 3}, 2, 2).matmul(Tensor.eye(2)));
    }

    // ------------------------------------------------------------------ convolution building blocks

    @Test
    public void unfoldAndFoldAgree() {
        int[][] cases = {
            // n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw
            {1, 1, 5, 5, 3, 3, 1, 1, 0, 0, 1, 1},
            {2, 3, 7, 6, 3, 2, 2, 1, 1, 0, 1, 1},
            {1, 2, 9, 9, 3, 3, 2, 2, 1, 1, 2, 2},
            {3, 1, 4, 4, 1, 1, 1, 1, 0, 0, 1, 1},
            {1, 4, 17, 15, 5, 5, 3, 2, 2, 2, 1, 1},
        };
        for (int[] g : cases) {
            int[] k = {g[4], g[5]};
            int[] s = {g[6], g[7]};
            int[] p = {g[8], g[9]};
            int[] d = {g[10], g[11]};
            String w = java.util.Arrays.toString(g);
            c().agree("unfold " + w, Tol.EXACT, () -> rnd(1, g[0], g[1], g[2], g[3]).unfold(k, s, p, d));
            c().agree("fold " + w, Tol.F32, () -> {
                Tensor cols = rnd(2, g[0], g[1], g[2], g[3]).unfold(k, s, p, d);
                return Tensor.fold(rnd(3, cols.dims()), new int[] {g[2], g[3]}, k, s, p, d);
            });
        }
        c().agree("unfold of a transposed batch", Tol.EXACT,
                () -> rnd(4, 2, 3, 6, 5).transpose(2, 3).unfold(new int[] {2, 2}, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}));
    }

    @Test
    public void conv2dAndItsGradientsAgree() {
        // {n, c, h, w, out, kh, kw, stride, padding}: the CNN's two layers (smaller batch), a strided one, 1x1, no padding
        int[][] cases = {
            {3, 1, 28, 28, 4, 3, 3, 1, 1},
            {2, 5, 14, 14, 6, 3, 3, 1, 1},
            {2, 3, 9, 8, 4, 3, 2, 2, 1},
            {3, 4, 5, 5, 2, 1, 1, 1, 0},
            {1, 2, 6, 7, 3, 5, 5, 1, 0},
        };
        for (int[] g : cases) {
            String w = java.util.Arrays.toString(g);
            int terms = g[1] * g[5] * g[6];
            c().agree("conv2d " + w, Tol.f32Sum(terms),
                    () -> rnd(1, g[0], g[1], g[2], g[3]).conv2d(rnd(2, g[4], g[1], g[5], g[6]), rnd(3, g[4]), g[7], g[8]));
            for (int input = 0; input < 3; input++) {
                int which = input;
                c().agree("conv2d gradient of input " + which + " " + w, Tol.f32Sum((long) g[0] * g[2] * g[3] * g[4]), () -> {
                    Tensor x = rnd(1, g[0], g[1], g[2], g[3]).requiresGrad(true);
                    Tensor k = rnd(2, g[4], g[1], g[5], g[6]).requiresGrad(true);
                    Tensor b = rnd(3, g[4]).requiresGrad(true);
                    Tensor y = x.conv2d(k, b, g[7], g[8]);
                    y.mul(rnd(4, y.dims())).sum().backward();
                    return new Tensor[] {x, k, b}[which].grad();
                });
            }
        }
        c().agree("conv2d without bias, F64", Tol.F64,
                () -> rnd(5, 2, 3, 6, 6).cast(DType.F64).conv2d(rnd(6, 4, 3, 3, 3).cast(DType.F64), null, 1, 1));
    }

    @Test
    public void fusedConvReluAndPoolingAgreeWithTheComposedForm() {
        // {n, c, h, w, out, k, stride, padding, pool kernel, pool stride}: the CNN's two layers (smaller batch),
        // a strided convolution under overlapping 3x3 windows, a 1x1 one under 2x2 windows of stride 1
        int[][] cases = {
            {3, 1, 28, 28, 4, 3, 1, 1, 2, 2},
            {2, 5, 14, 14, 6, 3, 1, 1, 2, 2},
            {2, 3, 9, 8, 4, 3, 2, 1, 3, 2},
            {2, 2, 5, 5, 3, 1, 1, 0, 2, 1},
        };
        for (int[] g : cases) {
            String w = java.util.Arrays.toString(g);
            for (boolean pool : new boolean[] {false, true}) {
                String op = pool ? "conv2dReluMaxPool " : "conv2dRelu ";
                for (int input = -1; input < 3; input++) {
                    int which = input;
                    long terms = which < 0 ? (long) g[1] * g[5] * g[5] : (long) g[0] * g[2] * g[3] * g[4];
                    c().agree(op + (which < 0 ? "" : "gradient of input " + which + " ") + w, Tol.f32Sum(terms), () -> {
                        Tensor x = rnd(1, g[0], g[1], g[2], g[3]).requiresGrad(true);
                        Tensor k = rnd(2, g[4], g[1], g[5], g[5]).requiresGrad(true);
                        Tensor b = rnd(3, g[4]).requiresGrad(true);
                        Tensor y = pool ? x.conv2dReluMaxPool(k, b, g[6], g[7], g[8], g[9]) : x.conv2dRelu(k, b, g[6], g[7]);
                        if (which < 0) {
                            return y;
                        }
                        y.mul(rnd(4, y.dims())).sum().backward();
                        return new Tensor[] {x, k, b}[which].grad();
                    });
                }
            }
        }
    }

    @Test
    public void maxPoolingAgreesWithTheComposedFormIncludingTiesAndGradients() {
        c().agree("maxPool2d 2x2", Tol.EXACT, () -> rnd(1, 2, 3, 8, 8).maxPool2d(2, 2));
        c().agree("maxPool2d 3x3 stride 2 odd size", Tol.EXACT, () -> rnd(2, 1, 2, 9, 7).maxPool2d(3, 2));
        c().agree("maxPool2d ties take the first", Tol.EXACT, () -> Tensor.ones(1, 1, 4, 4).maxPool2d(2, 2));
        c().agree("maxPool2d NaN wins", Tol.EXACT, () -> Tensor.fromArray(new float[] {1, Float.NaN, 3, 4}, 1, 1, 2, 2).maxPool2d(2, 2));
        c().agree("maxPool2d F64", Tol.EXACT, () -> rnd(3, 1, 1, 6, 6).cast(DType.F64).maxPool2d(2, 2));
        for (int[] window : new int[][] {{2, 2}, {2, 1}, {3, 2}, {3, 3}}) {
            // many ties, signed zeros and NaNs: the first maximum (or first NaN) in row-major order must win; with
            // overlapping windows (stride < kernel) an input collects gradient from several windows, and a backend
            // may add those in another order (a GPU's atomics do): the gradient then agrees to rounding, not bits
            String w = java.util.Arrays.toString(window);
            boolean overlap = window[1] < window[0];
            for (boolean gradient : new boolean[] {false, true}) {
                c().agree("maxPool2d ties, zeros and NaNs " + w + (gradient ? " gradient" : ""),
                        gradient && overlap ? Tol.f32Sum(4) : Tol.EXACT, () -> {
                    Tensor x = Tensor.randint(-1, 2, Shape.of(3, 4, 9, 10), 7).cast(DType.F32)
                            .mul(Tensor.randint(0, 2, Shape.of(3, 4, 9, 10), 8).mul(2).sub(1).cast(DType.F32));
                    x = Tensor.where(Tensor.rand(Shape.of(3, 4, 9, 10), 9).lt(0.08), Tensor.scalar(Float.NaN, DType.F32), x);
                    Tensor g = x.copy().requiresGrad(true);
                    Tensor y = g.maxPool2d(window[0], window[1]);
                    y.mul(rnd(10, y.dims())).sum().backward();
                    return gradient ? g.grad() : y;
                });
            }
        }
        c().agree("relu gradient, zeros and NaN included", Tol.EXACT, () -> {
            Tensor x = Tensor.where(rnd(6, 5, 300).gt(1.5), Tensor.scalar(Float.NaN, DType.F32), rnd(7, 5, 300).relu().sub(0.5).relu())
                    .copy().requiresGrad(true);
            x.relu().mul(rnd(8, 5, 300)).sum().backward();
            return x.grad();
        });
        c().agree("maxPool2d gradient", Tol.EXACT, () -> {
            Tensor x = Tensor.ones(2, 2, 4, 4).mul(rnd(4, 2, 2, 4, 4).gt(0).cast(DType.F32)).copy().requiresGrad(true);
            x.maxPool2d(2, 2).mul(rnd(5, 2, 2, 2, 2)).sum().backward();
            return x.grad();
        });
    }

    // ------------------------------------------------------------------ indexing, joining

    @Test
    public void gatherScatterAndIndexSelectAgree() {
        c().agree("gather axis 1", Tol.EXACT, () -> rnd(1, 17, 33).gather(1, Tensor.randint(0, 33, Shape.of(17, 5), 2)));
        c().agree("gather axis 0", Tol.EXACT, () -> rnd(3, 17, 33).gather(0, Tensor.randint(0, 17, Shape.of(4, 33), 4)));
        c().agree("gather I32 index on transposed input", Tol.EXACT,
                () -> rnd(5, 33, 17).transpose(0, 1).gather(1, Tensor.randint(0, 33, Shape.of(17, 3), 6).cast(DType.I32)));
        c().agree("indexSelect rows", Tol.EXACT, () -> rnd(7, 50, 16).indexSelect(0, Tensor.fromArray(new long[] {3, 0, 49, 3})));
        c().agree("indexSelect columns", Tol.EXACT, () -> rnd(8, 5, 16).indexSelect(1, Tensor.fromArray(new long[] {15, 1})));
        c().agree("scatterAdd axis 0 with repeats", Tol.F32, () -> Tensor.zeros(10, 4).scatterAdd(0,
                Tensor.fromArray(new long[] {0, 1, 2, 0, 9, 9, 9, 9, 0, 0, 0, 0}, 3, 4), rnd(9, 3, 4)));
        c().agree("scatterAdd axis 1", Tol.F32, () -> rnd(10, 3, 17).scatterAdd(1,
                Tensor.randint(0, 17, Shape.of(3, 33), 11), rnd(12, 3, 33)));
        c().agree("oneHot", Tol.EXACT, () -> Tensor.fromArray(new long[] {0, 2, 1, 2}).oneHot(3));
        try (MemoryScope s = MemoryScope.open(); var u = Backends.use(c().tested())) {
            Tensor x = rnd(1, 3, 4);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> x.gather(1, Tensor.fromArray(new long[] {0, 4, 1}, 3, 1)));
            assertTrue(e.getMessage().contains("index 4") && e.getMessage().contains("size 4"), e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> Tensor.zeros(3, 4).scatterAdd(0, Tensor.fromArray(new long[] {-1, 0, 0, 0}, 1, 4), Tensor.ones(1, 4)));
        }
    }

    @Test
    public void joiningAndSplittingAgree() {
        c().agree("concat axis 0", Tol.EXACT, () -> Tensor.concat(0, rnd(1, 2, 5), rnd(2, 3, 5), rnd(3, 0, 5)));
        c().agree("concat axis 1 of views", Tol.EXACT, () -> Tensor.concat(1, rnd(4, 5, 2).transpose(0, 1).mT(), rnd(5, 5, 3)));
        c().agree("concat promotes", Tol.EXACT, () -> Tensor.concat(0, Tensor.fromArray(new int[] {1, 2}), rnd(6, 2)));
        c().agree("stack", Tol.EXACT, () -> Tensor.stack(1, rnd(7, 3, 4), rnd(8, 3, 4)));
        c().agree("split", Tol.EXACT, () -> Tensor.concat(0, rnd(9, 10, 3).split(4, 0).reversed()));
        c().agree("chunk", Tol.EXACT, () -> Tensor.concat(1, rnd(10, 3, 10).chunk(3, 1).reversed()));
        c().agree("split sizes", Tol.EXACT, () -> rnd(11, 10).split(new int[] {2, 5, 3}, 0).get(1).contiguous());
    }

    // ------------------------------------------------------------------ memory

    @Test
    public void memoryStaysFlatAcrossScopesAndUseAfterCloseFails() {
        Backend b = c().tested();
        try (var u = Backends.use(b)) {
            Tensor w = rnd(1, 64, 64);
            for (int i = 0; i < 5; i++) { // warm the caching allocator
                try (MemoryScope s = MemoryScope.open("warm")) {
                    w.matmul(w).relu().sum();
                }
            }
            long before = b.memory().liveBytes();
            Tensor leaked;
            for (int i = 0; i < 200; i++) {
                try (MemoryScope s = MemoryScope.open("step")) {
                    w.matmul(w).relu().add(1).softmax(-1).sum();
                }
            }
            // root-scope tensors of earlier tests may be collected meanwhile, so live bytes may only fall
            long after = b.memory().liveBytes();
            assertTrue(after <= before, "live bytes grew over 200 scoped steps: " + before + " -> " + after);
            try (MemoryScope s = MemoryScope.open("step")) {
                leaked = w.add(1);
            }
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> leaked.add(1));
            assertTrue(e.getMessage().contains("step") && e.getMessage().contains("F32[64, 64]"), e.getMessage());
            assertTrue(b.memory().peakBytes() >= before);
        }
    }

    @Test
    public void deviceDescribesItself() {
        assertTrue(c().tested().device().name() != null && !c().tested().device().name().isBlank());
    }
}
