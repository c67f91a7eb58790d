package dev.anvil;

import dev.anvil.spi.Backend;
import dev.anvil.spi.BinaryOp;
import dev.anvil.spi.Layout;
import dev.anvil.spi.Storage;
import dev.anvil.spi.UnaryOp;
import dev.anvil.spi.View;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * An n-dimensional array: a view (dtype, shape, strides, offset) over a {@link Storage} owned by one
 * backend. Views ({@link #reshape}, {@link #permute}, {@link #slice}, {@link #expand}, ...) share storage
 * and copy nothing; {@link #contiguous()} copies only when the layout demands it. Ops follow NumPy's
 * broadcasting rules and PyTorch's names and type promotion.
 *
 * <pre>{@code
 * try (var scope = MemoryScope.open()) {
 *     Tensor x = Tensor.randn(Shape.of(64, 784), 42);
 *     Tensor w = Tensor.randn(Shape.of(784, 10), 7).mul(0.01);
 *     Tensor probs = x.matmul(w).softmax(-1);       // [64, 10]
 *     System.out.println(probs.sum(1));             // sixty-four ones
 * }
 * }</pre>
 *
 * <p>Memory: a tensor's storage is freed when the {@link MemoryScope} it was created in closes; tensors
 * created outside any scope are freed by the garbage collector. Using a tensor after its memory was freed
 * is an {@link IllegalStateException}.
 */
public final class Tensor {
    private final Storage storage;
    private final DType dtype;
    private final Layout layout;
    private final View view; // validated once: the layout fits the storage
    // autograd: a leaf asks for a gradient with requiresGrad; an op's result carries the node that made it
    private boolean requiresGrad;
    private Autograd.GradNode gradFn;
    private Tensor grad;
    private boolean gradZero; // grad holds zeros (after zeroGrad): the next accumulation can overwrite it

    /** Wraps a storage; the layout must fit inside it (checked). For backends and the API's own ops. */
    public Tensor(Storage storage, DType dtype, Layout layout) {
        this.view = new View(storage, dtype, layout); // bounds check
        this.storage = storage;
        this.dtype = dtype;
        this.layout = layout;
    }

    // ================================================================ properties

    /** The storage this tensor views. */
    public Storage storage() {
        return storage;
    }

    /** Element type. */
    public DType dtype() {
        return dtype;
    }

    /** Shape, strides and offset. */
    public Layout layout() {
        return layout;
    }

    /** The view handed to kernels. */
    public View view() {
        return view;
    }

    /** Dimensions. */
    public Shape shape() {
        return Shape.of(layout.shape());
    }

    /** A copy of the dimensions. */
    public int[] dims() {
        return layout.shape();
    }

    /** True when this tensor's dimensions equal {@code dims} (no copies). */
    boolean hasDims(int[] dims) {
        if (dims.length != layout.rank()) {
            return false;
        }
        for (int i = 0; i < dims.length; i++) {
            if (layout.dim(i) != dims[i]) {
                return false;
            }
        }
        return true;
    }

    /** Size of {@code axis} (negative counts from the end). */
    public int dim(int axis) {
        return layout.dim(Shape.normalizeAxis(axis, rank(), "axis"));
    }

    /** Number of dimensions. */
    public int rank() {
        return layout.rank();
    }

    /** Number of elements. */
    public long numel() {
        return layout.numel();
    }

    /** The backend that owns this tensor's storage. */
    public Backend backend() {
        return storage.backend();
    }

    /** True when elements are dense in row-major order. */
    public boolean isContiguous() {
        return layout.isContiguous();
    }

    /** False once the memory scope that owned this tensor closed. */
    public boolean isAlive() {
        return storage.isAlive();
    }

    /** A short description for messages: {@code F32[2, 3] on cpu-vector}. */
    public String describe() {
        return dtype + Exec.str(layout.shape()) + " on " + storage.backend().name();
    }

    // ================================================================ autograd

    /** True when gradients flow to or through this tensor (a leaf that asked, or the result of such an op). */
    public boolean requiresGrad() {
        return requiresGrad || gradFn != null;
    }

    /**
     * Marks this leaf tensor (a parameter) as needing a gradient; {@link #backward()} fills {@link #grad()}.
     * Returns this tensor.
     */
    public Tensor requiresGrad(boolean on) {
        if (gradFn != null) {
            throw new IllegalStateException("requiresGrad: " + describe() + " is the result of " + gradFn.op()
                    + ", not a leaf; call detach() first");
        }
        if (on && !dtype.isFloating()) {
            throw new IllegalArgumentException("requiresGrad: only floating tensors have gradients, got " + describe());
        }
        requiresGrad = on;
        return this;
    }

    /** True for tensors not produced by a recorded op. */
    public boolean isLeaf() {
        return gradFn == null;
    }

    /** The accumulated gradient of a leaf after {@link #backward()}, or null before. */
    public Tensor grad() {
        if (gradZero && grad != null && grad.isAlive()) {
            grad.fill(0); // zeroGrad only marks the buffer; fill it when someone looks before a backward
            gradZero = false;
        }
        return grad;
    }

    /** Sets the gradient to zero (keeping its memory, so steady-state training allocates nothing). */
    public void zeroGrad() {
        if (grad != null) {
            gradZero = true; // the next backward overwrites instead of adding: no pass over zeros
        }
    }

    /** Drops the gradient buffer. */
    public void clearGrad() {
        grad = null;
    }

    /** The same storage and layout with no autograd history. */
    public Tensor detach() {
        return new Tensor(storage, dtype, layout);
    }

    /** Backpropagates from this scalar (a loss), accumulating gradients into every leaf that requires one. */
    public void backward() {
        Autograd.backward(this, null);
    }

    /** Backpropagates from this tensor given the gradient of the final result with respect to it. */
    public void backward(Tensor gradient) {
        Autograd.backward(this, gradient);
    }

    Autograd.GradNode gradFn() {
        return gradFn;
    }

    void setGradFn(Autograd.GradNode node) {
        this.gradFn = node;
    }

    /** Adds {@code g} into this leaf's gradient, allocating it (outside any scope) on first use. */
    void accumulateGrad(Tensor g) {
        if (grad == null || !grad.isAlive()) {
            grad = MemoryScope.atRoot(() -> g.cast(dtype).copy());
        } else if (gradZero) {
            grad.copyFrom(g); // one copy (tiled for transposed layouts) instead of reading the zeros back
        } else {
            grad.addInPlace(g, 1);
        }
        gradZero = false;
    }

    // ================================================================ creation

    /** Zeros of {@code shape} in F32 on the current backend. */
    public static Tensor zeros(int... shape) {
        return Creation.full(Shape.of(shape), DType.F32, 0, Backends.current());
    }

    /** Zeros of {@code shape} and {@code dtype} on the current backend. */
    public static Tensor zeros(Shape shape, DType dtype) {
        return Creation.full(shape, dtype, 0, Backends.current());
    }

    /** Ones of {@code shape} in F32. */
    public static Tensor ones(int... shape) {
        return Creation.full(Shape.of(shape), DType.F32, 1, Backends.current());
    }

    /** Ones of {@code shape} and {@code dtype}. */
    public static Tensor ones(Shape shape, DType dtype) {
        return Creation.full(shape, dtype, 1, Backends.current());
    }

    /** {@code value} everywhere. */
    public static Tensor full(Shape shape, DType dtype, double value) {
        return Creation.full(shape, dtype, value, Backends.current());
    }

    /** {@code value} everywhere, on {@code backend}. */
    public static Tensor full(Shape shape, DType dtype, double value, Backend backend) {
        return Creation.full(shape, dtype, value, backend);
    }

    /** A 0-d F32 scalar. */
    public static Tensor scalar(double value) {
        return Creation.full(Shape.scalar(), DType.F32, value, Backends.current());
    }

    /** A 0-d scalar of {@code dtype}. */
    public static Tensor scalar(double value, DType dtype) {
        return Creation.full(Shape.scalar(), dtype, value, Backends.current());
    }

    /** {@code [0, 1, ..., end-1]} as I64. */
    public static Tensor arange(long end) {
        return Creation.arange(0, end, 1);
    }

    /** {@code start, start+step, ...} below {@code end}: I64 when all three are whole numbers, else F32. */
    public static Tensor arange(double start, double end, double step) {
        return Creation.arange(start, end, step);
    }

    /** {@code steps} evenly spaced F32 values from {@code start} to {@code end} inclusive. */
    public static Tensor linspace(double start, double end, int steps) {
        return Creation.linspace(start, end, steps);
    }

    /** The n x n identity in F32. */
    public static Tensor eye(int n) {
        return Creation.eye(n, n);
    }

    /** The n x m matrix with ones on the diagonal, F32. */
    public static Tensor eye(int n, int m) {
        return Creation.eye(n, m);
    }

    /** Uniform [0, 1) F32 values from a seeded generator: the same seed gives the same tensor everywhere. */
    public static Tensor rand(Shape shape, long seed) {
        return Creation.rand(shape, Creation.generator(seed));
    }

    /** Uniform [0, 1) F32 values drawn from {@code rng}. */
    public static Tensor rand(Shape shape, RandomGenerator rng) {
        return Creation.rand(shape, rng);
    }

    /** Standard normal F32 values from a seeded generator. */
    public static Tensor randn(Shape shape, long seed) {
        return Creation.randn(shape, Creation.generator(seed));
    }

    /** Standard normal F32 values drawn from {@code rng}. */
    public static Tensor randn(Shape shape, RandomGenerator rng) {
        return Creation.randn(shape, rng);
    }

    /** Uniform integers in {@code [low, high)} as I64 from a seeded generator. */
    public static Tensor randint(long low, long high, Shape shape, long seed) {
        return Creation.randint(low, high, shape, Creation.generator(seed));
    }

    /** F32 tensor from {@code data} (row-major) with {@code shape}; no shape means 1-D. */
    public static Tensor fromArray(float[] data, int... shape) {
        return Creation.fromHeap(java.lang.foreign.MemorySegment.ofArray(data), data.length, DType.F32, shape);
    }

    /** F64 tensor from {@code data}. */
    public static Tensor fromArray(double[] data, int... shape) {
        return Creation.fromHeap(java.lang.foreign.MemorySegment.ofArray(data), data.length, DType.F64, shape);
    }

    /** I32 tensor from {@code data}. */
    public static Tensor fromArray(int[] data, int... shape) {
        return Creation.fromHeap(java.lang.foreign.MemorySegment.ofArray(data), data.length, DType.I32, shape);
    }

    /** I64 tensor from {@code data}. */
    public static Tensor fromArray(long[] data, int... shape) {
        return Creation.fromHeap(java.lang.foreign.MemorySegment.ofArray(data), data.length, DType.I64, shape);
    }

    /** I16 tensor from {@code data}. */
    public static Tensor fromArray(short[] data, int... shape) {
        return Creation.fromHeap(java.lang.foreign.MemorySegment.ofArray(data), data.length, DType.I16, shape);
    }

    /** BOOL tensor from {@code data}. */
    public static Tensor fromArray(boolean[] data, int... shape) {
        byte[] bytes = new byte[data.length];
        for (int i = 0; i < data.length; i++) {
            bytes[i] = (byte) (data[i] ? 1 : 0);
        }
        return fromBytes(bytes, DType.BOOL, shape);
    }

    /** I8, U8 or BOOL tensor from raw bytes (U8 reads them unsigned). */
    public static Tensor fromBytes(byte[] data, DType dtype, int... shape) {
        if (dtype.byteSize() != 1) {
            throw new IllegalArgumentException("fromBytes: dtype must be I8, U8 or BOOL, got " + dtype);
        }
        return Creation.fromHeap(java.lang.foreign.MemorySegment.ofArray(data), data.length, dtype, shape);
    }

    /** F32 values stored as {@code dtype} (for example F16 or BF16 weights). */
    public static Tensor fromArray(float[] data, DType dtype, int... shape) {
        Tensor f = fromArray(data, shape);
        return f.cast(dtype);
    }

    /** A copy of this tensor on {@code backend} (this tensor when it is already there). */
    public Tensor to(Backend backend) {
        return Creation.to(this, backend);
    }

    // ================================================================ reading back

    /** Elements in row-major order, converted to float. */
    public float[] toFloatArray() {
        return Creation.toFloatArray(this);
    }

    /** Elements in row-major order, converted to double. */
    public double[] toDoubleArray() {
        return Creation.toDoubleArray(this);
    }

    /** Elements in row-major order, converted to long (floating values truncated). */
    public long[] toLongArray() {
        return Creation.toLongArray(this);
    }

    /** Elements in row-major order, converted to int (floating values truncated). */
    public int[] toIntArray() {
        long[] l = toLongArray();
        int[] r = new int[l.length];
        for (int i = 0; i < l.length; i++) {
            r[i] = (int) l[i];
        }
        return r;
    }

    /** Elements as booleans (non-zero is true). */
    public boolean[] toBooleanArray() {
        double[] d = toDoubleArray();
        boolean[] r = new boolean[d.length];
        for (int i = 0; i < d.length; i++) {
            r[i] = d[i] != 0;
        }
        return r;
    }

    /** The value of a one-element tensor. */
    public double item() {
        if (numel() != 1) {
            throw new IllegalArgumentException("item: tensor " + describe() + " has " + numel()
                    + " elements; only one-element tensors convert to a number");
        }
        return toDoubleArray()[0];
    }

    /** The value of a one-element integer tensor as a long. */
    public long itemLong() {
        if (numel() != 1) {
            throw new IllegalArgumentException("itemLong: tensor " + describe() + " has " + numel() + " elements");
        }
        return toLongArray()[0];
    }

    // ================================================================ views

    /** Same elements, new shape; one dimension may be -1 (inferred). A view when strides allow, else a copy. */
    public Tensor reshape(int... shape) {
        return Views.reshape(this, shape);
    }

    /** All elements in one dimension. */
    public Tensor flatten() {
        return Views.reshape(this, new int[] {(int) numel()});
    }

    /** Dimensions {@code start..end} (inclusive) merged into one. */
    public Tensor flatten(int start, int end) {
        return Views.flatten(this, start, end);
    }

    /** Dimensions reordered: output axis i is input axis {@code axes[i]}. A view. */
    public Tensor permute(int... axes) {
        return Views.permute(this, axes);
    }

    /** Axes {@code a} and {@code b} swapped. A view. */
    public Tensor transpose(int a, int b) {
        return Views.transpose(this, a, b);
    }

    /** The last two axes swapped (matrix transpose of a batch). A view. */
    public Tensor mT() {
        if (rank() < 2) {
            throw new IllegalArgumentException("mT: needs at least 2 dimensions, got " + describe());
        }
        return Views.transpose(this, -2, -1);
    }

    /** Elements {@code start, start+step, ...} below {@code end} along {@code axis}; negative indices count from the end. A view. */
    public Tensor slice(int axis, long start, long end, long step) {
        return Views.slice(this, axis, start, end, step);
    }

    /** {@link #slice(int, long, long, long)} with step 1. */
    public Tensor slice(int axis, long start, long end) {
        return Views.slice(this, axis, start, end, 1);
    }

    /** The sub-tensor at {@code index} of {@code axis}, which is removed. A view. */
    public Tensor select(int axis, long index) {
        return Views.select(this, axis, index);
    }

    /** Broadcast to {@code shape} (size-1 dimensions repeat, new dimensions on the left; -1 keeps a size). A view. */
    public Tensor expand(int... shape) {
        return Views.expand(this, shape);
    }

    /** Removes every size-1 dimension. A view. */
    public Tensor squeeze() {
        return Views.squeeze(this);
    }

    /** Removes dimension {@code axis}, which must have size 1. A view. */
    public Tensor squeeze(int axis) {
        return Views.squeeze(this, axis);
    }

    /** Inserts a size-1 dimension at {@code axis} (which may equal the rank). A view. */
    public Tensor unsqueeze(int axis) {
        return Views.unsqueeze(this, axis);
    }

    /** This tensor if its elements are dense in row-major order, else a contiguous copy. */
    public Tensor contiguous() {
        return isContiguous() ? this : Views.copy(this, dtype);
    }

    /** A contiguous copy with its own storage. */
    public Tensor copy() {
        return Views.copy(this, dtype);
    }

    /** This tensor converted to {@code target} (this tensor when it already has that type). */
    public Tensor cast(DType target) {
        return target == dtype ? this : Views.copy(this, target);
    }

    // ================================================================ elementwise

    /** Elementwise {@code this + other}, broadcasting. */
    public Tensor add(Tensor other) {
        return Elementwise.binary(BinaryOp.ADD, this, other);
    }

    /** Elementwise {@code this + v}. */
    public Tensor add(double v) {
        return Elementwise.binaryScalar(BinaryOp.ADD, this, v);
    }

    /** Elementwise {@code this - other}, broadcasting. */
    public Tensor sub(Tensor other) {
        return Elementwise.binary(BinaryOp.SUB, this, other);
    }

    /** Elementwise {@code this - v}. */
    public Tensor sub(double v) {
        return Elementwise.binaryScalar(BinaryOp.SUB, this, v);
    }

    /** Elementwise {@code this * other}, broadcasting. */
    public Tensor mul(Tensor other) {
        return Elementwise.binary(BinaryOp.MUL, this, other);
    }

    /** Elementwise {@code this * v}. */
    public Tensor mul(double v) {
        return Elementwise.binaryScalar(BinaryOp.MUL, this, v);
    }

    /** True division: integer operands give F32, as in PyTorch. */
    public Tensor div(Tensor other) {
        return Elementwise.binary(BinaryOp.DIV, this, other);
    }

    /** Elementwise {@code this / v} (true division). */
    public Tensor div(double v) {
        return Elementwise.binaryScalar(BinaryOp.DIV, this, v);
    }

    /** Elementwise {@code this ^ exponent}, broadcasting. */
    public Tensor pow(Tensor exponent) {
        return Elementwise.binary(BinaryOp.POW, this, exponent);
    }

    /** Elementwise {@code this ^ exponent}. */
    public Tensor pow(double exponent) {
        return Elementwise.binaryScalar(BinaryOp.POW, this, exponent);
    }

    /** Elementwise maximum; NaN propagates. */
    public Tensor maximum(Tensor other) {
        return Elementwise.binary(BinaryOp.MAX, this, other);
    }

    /** Elementwise minimum; NaN propagates. */
    public Tensor minimum(Tensor other) {
        return Elementwise.binary(BinaryOp.MIN, this, other);
    }

    /** Values limited to {@code [min, max]}; NaN stays NaN. */
    public Tensor clamp(double min, double max) {
        if (min > max) {
            throw new IllegalArgumentException("clamp: min " + min + " is greater than max " + max);
        }
        return Elementwise.binaryScalar(BinaryOp.MAX, Elementwise.binaryScalar(BinaryOp.MIN, this, max), min);
    }

    /** Elementwise negation. */
    public Tensor neg() {
        return Elementwise.unary(UnaryOp.NEG, this);
    }

    /** Elementwise e^x (integers compute in F32). */
    public Tensor exp() {
        return Elementwise.unary(UnaryOp.EXP, this);
    }

    /** Elementwise natural logarithm. */
    public Tensor log() {
        return Elementwise.unary(UnaryOp.LOG, this);
    }

    /** Elementwise square root. */
    public Tensor sqrt() {
        return Elementwise.unary(UnaryOp.SQRT, this);
    }

    /** Elementwise 1 / sqrt(x). */
    public Tensor rsqrt() {
        return Elementwise.unary(UnaryOp.RSQRT, this);
    }

    /** Elementwise absolute value. */
    public Tensor abs() {
        return Elementwise.unary(UnaryOp.ABS, this);
    }

    /** Elementwise sine. */
    public Tensor sin() {
        return Elementwise.unary(UnaryOp.SIN, this);
    }

    /** Elementwise cosine. */
    public Tensor cos() {
        return Elementwise.unary(UnaryOp.COS, this);
    }

    /** Elementwise max(x, 0); NaN stays NaN. */
    public Tensor relu() {
        return Elementwise.unary(UnaryOp.RELU, this);
    }

    /** GELU with the exact error function (PyTorch's default). */
    public Tensor gelu() {
        return Elementwise.unary(UnaryOp.GELU, this);
    }

    /** Elementwise logistic sigmoid, stable for large |x|. */
    public Tensor sigmoid() {
        return Elementwise.unary(UnaryOp.SIGMOID, this);
    }

    /** Elementwise hyperbolic tangent. */
    public Tensor tanh() {
        return Elementwise.unary(UnaryOp.TANH, this);
    }

    /** Elementwise {@code this == o} as BOOL, broadcasting. */
    public Tensor eq(Tensor o) {
        return Elementwise.binary(BinaryOp.EQ, this, o);
    }

    /** Elementwise {@code this == v} as BOOL. */
    public Tensor eq(double v) {
        return Elementwise.binaryScalar(BinaryOp.EQ, this, v);
    }

    /** Elementwise {@code this != o} as BOOL (true for NaN). */
    public Tensor ne(Tensor o) {
        return Elementwise.binary(BinaryOp.NE, this, o);
    }

    /** Elementwise {@code this < o} as BOOL. */
    public Tensor lt(Tensor o) {
        return Elementwise.binary(BinaryOp.LT, this, o);
    }

    /** Elementwise {@code this < v} as BOOL. */
    public Tensor lt(double v) {
        return Elementwise.binaryScalar(BinaryOp.LT, this, v);
    }

    /** Elementwise {@code this <= o} as BOOL. */
    public Tensor le(Tensor o) {
        return Elementwise.binary(BinaryOp.LE, this, o);
    }

    /** Elementwise {@code this > o} as BOOL. */
    public Tensor gt(Tensor o) {
        return Elementwise.binary(BinaryOp.GT, this, o);
    }

    /** Elementwise {@code this > v} as BOOL. */
    public Tensor gt(double v) {
        return Elementwise.binaryScalar(BinaryOp.GT, this, v);
    }

    /** Elementwise {@code this >= o} as BOOL. */
    public Tensor ge(Tensor o) {
        return Elementwise.binary(BinaryOp.GE, this, o);
    }

    /** {@code cond ? a : b} elementwise, broadcasting all three (cond is converted to BOOL). */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) {
        return Elementwise.where(cond, a, b);
    }

    /** {@code this += alpha * other} in place (other broadcast to this shape); uses a fused kernel when the backend has one. */
    public Tensor addInPlace(Tensor other, double alpha) {
        return Elementwise.addInPlace(this, other, alpha);
    }

    /** Copies {@code src} (broadcast, converted) into this tensor's elements, in place. */
    public Tensor copyFrom(Tensor src) {
        return Elementwise.copyInto(src, this);
    }

    /** Sets every element to {@code value}, in place. */
    public Tensor fill(double value) {
        Elementwise.checkNotRecorded("fill", this);
        Exec.backend("fill", this).fill(view(), value);
        return this;
    }

    // ================================================================ reductions

    /** Sum of all elements (0-d). Integer and BOOL sums are I64. */
    public Tensor sum() {
        return Reductions.reduce(dev.anvil.spi.ReduceOp.SUM, this, null, false);
    }

    /** Sum over {@code axes}. */
    public Tensor sum(int... axes) {
        return Reductions.reduce(dev.anvil.spi.ReduceOp.SUM, this, axes, false);
    }

    /** Sum over {@code axes}, keeping them as size 1 when {@code keepDim}. */
    public Tensor sum(int[] axes, boolean keepDim) {
        return Reductions.reduce(dev.anvil.spi.ReduceOp.SUM, this, axes, keepDim);
    }

    /** Mean of all elements. */
    public Tensor mean() {
        return Reductions.mean(this, null, false);
    }

    /** Mean over {@code axes}, dropping them. */
    public Tensor mean(int... axes) {
        return Reductions.mean(this, axes, false);
    }

    /** Mean over {@code axes}, keeping them as size 1 when {@code keepDim}. */
    public Tensor mean(int[] axes, boolean keepDim) {
        return Reductions.mean(this, axes, keepDim);
    }

    /** Maximum of all elements; NaN propagates. */
    public Tensor max() {
        return Reductions.reduce(dev.anvil.spi.ReduceOp.MAX, this, null, false);
    }

    /** Maximum over {@code axes}, dropping them; NaN propagates. */
    public Tensor max(int... axes) {
        return Reductions.reduce(dev.anvil.spi.ReduceOp.MAX, this, axes, false);
    }

    /** Maximum over {@code axes}, keeping them as size 1 when {@code keepDim}. */
    public Tensor max(int[] axes, boolean keepDim) {
        return Reductions.reduce(dev.anvil.spi.ReduceOp.MAX, this, axes, keepDim);
    }

    /** Minimum of all elements; NaN propagates. */
    public Tensor min() {
        return Reductions.reduce(dev.anvil.spi.ReduceOp.MIN, this, null, false);
    }

    /** Minimum over {@code axes}, dropping them. */
    public Tensor min(int... axes) {
        return Reductions.reduce(dev.anvil.spi.ReduceOp.MIN, this, axes, false);
    }

    /** Minimum over {@code axes}, keeping them as size 1 when {@code keepDim}. */
    public Tensor min(int[] axes, boolean keepDim) {
        return Reductions.reduce(dev.anvil.spi.ReduceOp.MIN, this, axes, keepDim);
    }

    /** Index of the maximum of the flattened tensor (0-d I64). */
    public Tensor argmax() {
        return Reductions.arg(true, this.flatten(), 0, false);
    }

    /** Indices of the maxima along {@code axis} (I64). */
    public Tensor argmax(int axis) {
        return Reductions.arg(true, this, axis, false);
    }

    /** Indices of the maxima along {@code axis}, keeping it as size 1 when {@code keepDim}. */
    public Tensor argmax(int axis, boolean keepDim) {
        return Reductions.arg(true, this, axis, keepDim);
    }

    /** Index of the minimum of the flattened tensor (0-d I64). */
    public Tensor argmin() {
        return Reductions.arg(false, this.flatten(), 0, false);
    }

    /** Indices of the minima along {@code axis} (I64). */
    public Tensor argmin(int axis) {
        return Reductions.arg(false, this, axis, false);
    }

    /** Indices of the minima along {@code axis}, keeping it as size 1 when {@code keepDim}. */
    public Tensor argmin(int axis, boolean keepDim) {
        return Reductions.arg(false, this, axis, keepDim);
    }

    /** Unbiased variance (correction 1) of all elements. */
    public Tensor var() {
        return Reductions.var(this, null, 1, false);
    }

    /** Variance over {@code axes} with Bessel's {@code correction} (1 unbiased, 0 population). */
    public Tensor var(int[] axes, int correction, boolean keepDim) {
        return Reductions.var(this, axes, correction, keepDim);
    }

    /** Softmax along {@code axis}, stable for large inputs. */
    public Tensor softmax(int axis) {
        return Reductions.softmax(this, axis, false);
    }

    /** Log-softmax along {@code axis}. */
    public Tensor logSoftmax(int axis) {
        return Reductions.softmax(this, axis, true);
    }

    // ================================================================ linear algebra

    /**
     * Matrix product with NumPy's rules: 1-D operands are vectors, 2-D are matrices, more dimensions are
     * batches whose leading dimensions broadcast.
     */
    public Tensor matmul(Tensor other) {
        return LinAlg.matmul(this, other);
    }

    /**
     * Sliding 2-D patches of an NCHW batch as columns {@code [n, c*kh*kw, outH*outW]} ({@code
     * torch.nn.functional.unfold}); the building block of convolution (im2col).
     *
     * @param kernel {kh, kw}; @param stride {sh, sw}; @param padding {ph, pw} (zeros); @param dilation {dh, dw}
     */
    public Tensor unfold(int[] kernel, int[] stride, int[] padding, int[] dilation) {
        return Convolutions.unfold(this, kernel, stride, padding, dilation);
    }

    /**
     * The inverse of {@link #unfold}: sums columns {@code [n, c*kh*kw, L]} back into an NCHW batch of
     * spatial size {@code outputSize} ({@code torch.nn.functional.fold}, col2im); overlapping patches add up.
     */
    public static Tensor fold(Tensor cols, int[] outputSize, int[] kernel, int[] stride, int[] padding, int[] dilation) {
        return Convolutions.fold(cols, outputSize, kernel, stride, padding, dilation);
    }

    /**
     * 2-D convolution of this NCHW batch ({@code torch.nn.functional.conv2d}): weight {@code [out, c, kh, kw]},
     * bias {@code [out]} or null, the same stride and zero padding on both axes. Runs as im2col of the whole batch
     * and one matrix product; its gradient is two more products and a col2im.
     *
     * <pre>{@code
     * Tensor y = images.conv2d(weight, bias, 1, 1);   // [n, 3, 28, 28] with [16, 3, 3, 3] -> [n, 16, 28, 28]
     * }</pre>
     */
    public Tensor conv2d(Tensor weight, Tensor bias, int stride, int padding) {
        return Convolutions.conv2d(this, weight, bias, stride, padding, false, 0, 0);
    }

    /**
     * {@code conv2d(weight, bias, stride, padding).relu()} with the same values and gradients, where the backend
     * fuses the bias, the ReLU and the move to NCHW into one pass each way ({@link dev.anvil.spi.ConvEpilogue}).
     * {@link dev.anvil.nn.Sequential} uses it for a Conv2d followed by a ReLU.
     * <pre>{@code
     * Tensor h = images.conv2dRelu(weight, bias, 1, 1);   // = images.conv2d(weight, bias, 1, 1).relu()
     * }</pre>
     */
    public Tensor conv2dRelu(Tensor weight, Tensor bias, int stride, int padding) {
        return Convolutions.conv2d(this, weight, bias, stride, padding, true, 0, 0);
    }

    /**
     * {@code conv2d(weight, bias, stride, padding).relu().maxPool2d(poolKernel, poolStride)} with the same values
     * and gradients, where the backend fuses the bias, ReLU and pooling so the ReLU output is never stored.
     * {@link dev.anvil.nn.Sequential} uses it for Conv2d, ReLU, MaxPool2d in a row.
     * <pre>{@code
     * Tensor h = images.conv2dReluMaxPool(weight, bias, 1, 1, 2, 2);   // [n, 1, 28, 28] -> [n, out, 14, 14]
     * }</pre>
     */
    public Tensor conv2dReluMaxPool(Tensor weight, Tensor bias, int stride, int padding, int poolKernel, int poolStride) {
        if (poolKernel <= 0 || poolStride <= 0) {
            throw new IllegalArgumentException("conv2dReluMaxPool: pool kernel and stride must be positive, got " + poolKernel
                    + " and " + poolStride);
        }
        return Convolutions.conv2d(this, weight, bias, stride, padding, true, poolKernel, poolStride);
    }

    /**
     * 2-D max pooling of an NCHW batch with a {@code kernel x kernel} window and {@code stride} (no padding):
     * the first maximum of each window; the gradient goes to that element only.
     */
    public Tensor maxPool2d(int kernel, int stride) {
        return Pooling.maxPool2d(this, kernel, stride);
    }

    // ================================================================ joining, splitting, indexing

    /** Joins tensors along an existing axis. */
    public static Tensor concat(int axis, Tensor... tensors) {
        return Indexing.concat(axis, List.of(tensors));
    }

    /** Joins tensors along an existing axis. */
    public static Tensor concat(int axis, List<Tensor> tensors) {
        return Indexing.concat(axis, tensors);
    }

    /** Joins same-shaped tensors along a new axis. */
    public static Tensor stack(int axis, Tensor... tensors) {
        return Indexing.stack(axis, List.of(tensors));
    }

    /** Joins same-shaped tensors along a new axis. */
    public static Tensor stack(int axis, List<Tensor> tensors) {
        return Indexing.stack(axis, tensors);
    }

    /** Views of consecutive pieces of {@code size} along {@code axis} (the last may be smaller). */
    public List<Tensor> split(int size, int axis) {
        return Indexing.split(this, size, axis);
    }

    /** Views of pieces with the given sizes along {@code axis} (which must add up to the dimension). */
    public List<Tensor> split(int[] sizes, int axis) {
        return Indexing.split(this, sizes, axis);
    }

    /** {@code chunks} views of near-equal size along {@code axis}, as {@code torch.chunk}. */
    public List<Tensor> chunk(int chunks, int axis) {
        return Indexing.chunk(this, chunks, axis);
    }

    /** Integer class indices to one-hot I64 vectors of {@code numClasses} (a new last axis). */
    public Tensor oneHot(int numClasses) {
        return Indexing.oneHot(this, numClasses);
    }

    /** {@code torch.gather}: values at {@code index} along {@code axis}. */
    public Tensor gather(int axis, Tensor index) {
        return Indexing.gather(this, axis, index);
    }

    /** Entries of {@code axis} picked by the 1-D {@code index} (rows of an embedding table, for example). */
    public Tensor indexSelect(int axis, Tensor index) {
        return Indexing.indexSelect(this, axis, index);
    }

    /** A copy of this tensor with {@code src} added at {@code index} along {@code axis} ({@code torch.scatter_add}). */
    public Tensor scatterAdd(int axis, Tensor index, Tensor src) {
        return Indexing.scatterAdd(this, axis, index, src);
    }

    // ================================================================ printing

    /** NumPy-like: values (elided past 1000 elements), shape and dtype. */
    @Override
    public String toString() {
        return Printer.format(this);
    }
}
