package dev.anvil.spi;

import java.lang.foreign.MemorySegment;
import java.util.Optional;

/**
 * The primitives a backend implements; everything else in Anvil is composed from them in runtime-api.
 *
 * <p>Contract for every method: the API has already checked shapes, dtypes and liveness, and every
 * {@link View} has been bounds-checked against its storage. Operands are this backend's storages (or,
 * for host backends, any {@link HostStorage}). Inputs may be strided or broadcast (stride 0) unless a
 * method says otherwise; outputs are freshly allocated contiguous views, except that an output may be
 * exactly the first input (same storage and layout) for in-place elementwise ops. Index operands
 * ({@link #gather}, {@link #scatterAdd}) hold values the kernel must check against the indexed axis,
 * throwing {@link IllegalArgumentException} naming the op, the index and the axis size.
 */
public interface Backend {

    /** The provider's name, e.g. {@code "cpu-vector"}. */
    String name();

    /** What this backend runs on. */
    DeviceInfo device();

    /** Live, peak and cached bytes of this backend's allocator. */
    MemoryStats memory();

    /** Returns cached memory to the system where the allocator can. */
    default void emptyCache() {
    }

    /**
     * Waits until every operation this backend has queued has finished (GPU backends run asynchronously;
     * CPU backends return from each call when it is done, so for them this returns at once). Benchmarks
     * call it before reading a clock; results that leave the device synchronise on their own.
     */
    default void synchronize() {
    }

    /** True when storages are {@link HostStorage} that any CPU backend can read without a copy. */
    boolean isHost();

    // ---------------------------------------------------------------- memory

    /** Allocates {@code bytes} bytes, zero-filled when {@code zeroed}. */
    Storage allocate(long bytes, boolean zeroed);

    /**
     * Copies {@code dst.numel()} elements from host memory (row-major, dst's dtype) into contiguous {@code dst}.
     * {@code src} may be a heap segment or confined to the calling thread: do not hand it to other threads.
     */
    void copyFromHost(MemorySegment src, View dst);

    /** Copies contiguous {@code src} into host memory (row-major, src's dtype); {@code dst} is as in copyFromHost. */
    void copyToHost(View src, MemorySegment dst);

    /** Sets every element of {@code dst} (any layout) to {@code value} converted to dst's dtype. */
    void fill(View dst, double value);

    /**
     * Copies {@code src} (any layout) into {@code dst} (any layout, same shape), converting between dtypes:
     * float to integer truncates toward zero through a 64-bit integer and then wraps to the target width
     * like a C cast (3e9 to I32 wraps; values beyond the I64 range saturate); anything to BOOL is
     * {@code value != 0}; F16/BF16 round to nearest even.
     */
    void copy(View src, View dst);

    // ---------------------------------------------------------------- elementwise

    /** {@code out = op(x)}; same shape and dtype. */
    void unary(UnaryOp op, View x, View out);

    /**
     * {@code out = a op b}; a and b have out's shape (broadcast views have stride 0), the same dtype, and out
     * has that dtype too, or BOOL for comparisons.
     */
    void binary(BinaryOp op, View a, View b, View out);

    /** {@code out = cond ? a : b}; cond is BOOL, all four have out's shape, a, b and out the same dtype. */
    void where(View cond, View a, View b, View out);

    // ---------------------------------------------------------------- reductions

    /**
     * Reduces {@code x} over {@code axes} (sorted, distinct) into {@code out}, whose shape is x's with those
     * axes set to 1. SUM writes F32 for F32 input (accumulated so that it is as accurate as a rounded
     * double-precision sum: F64 accumulation, pairwise or compensated summation), F64 for F64, I64 for integer
     * and BOOL input; MAX and MIN keep the dtype.
     */
    void reduce(ReduceOp op, View x, int[] axes, View out);

    /**
     * Index (I64) of the first maximum ({@code max == true}) or minimum along {@code axis}; out has x's shape
     * with that axis set to 1. NaN counts as the maximum and the minimum, as in NumPy.
     */
    void argReduce(boolean max, View x, int axis, View out);

    /**
     * Softmax ({@code log == false}) or log-softmax over the last axis of contiguous x into contiguous out,
     * subtracting the row maximum first so large inputs stay finite.
     */
    void softmax(View x, View out, boolean log);

    // ---------------------------------------------------------------- linear algebra

    /** Batched GEMM, see {@link GemmSpec}. */
    void gemm(GemmSpec spec);

    /** Unfolds contiguous image batch {@code x} into contiguous columns {@code cols} (see {@link ConvGeometry}). */
    void im2col(View x, ConvGeometry g, View cols);

    /** Folds {@code cols} back, adding overlapping patches into contiguous {@code x} (which is accumulated into). */
    void col2im(View cols, ConvGeometry g, View x);

    // ---------------------------------------------------------------- indexing

    /**
     * {@code out[i][j][k] = x[index[i][j][k]][j][k]} for axis 0 (and likewise for other axes), as
     * {@code torch.gather}: index (I64 or I32) has out's shape and x's rank.
     */
    void gather(View x, int axis, View index, View out);

    /**
     * {@code out[index[i][j][k]][j][k] += src[i][j][k]} for axis 0 (and likewise), as
     * {@code torch.Tensor.scatter_add_}: index has src's shape; out is accumulated into.
     */
    void scatterAdd(View src, int axis, View index, View out);

    // ---------------------------------------------------------------- optional fused kernels

    /**
     * An optional fused kernel (for example {@link Axpy}) when this backend has one; the API composes
     * primitives otherwise.
     */
    default <T> Optional<T> kernel(Class<T> type) {
        return Optional.empty();
    }
}
