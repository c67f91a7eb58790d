package dev.anvil.cli;

import dev.anvil.Shape;
import dev.anvil.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The operations {@code anvil bench} measures, with their default sizes and the work one call does. The
 * JMH benchmarks in the bench module measure the same cases.
 */
enum BenchOp {
    /** Square F32 matmul {@code [n, n] x [n, n]}: 2n^3 floating-point operations. */
    GEMM(List.of(256, 512, 1024)) {
        @Override
        Supplier<Tensor> prepare(int n) {
            Tensor a = Tensor.rand(Shape.of(n, n), 1);
            Tensor b = Tensor.rand(Shape.of(n, n), 2);
            return () -> a.matmul(b);
        }

        @Override
        Supplier<Tensor> prepareRaw(String raw, int n) {
            if (!hasRaw(raw)) {
                return super.prepareRaw(raw, n);
            }
            Tensor a = Tensor.rand(Shape.of(n, n), 1);
            Tensor b = Tensor.rand(Shape.of(n, n), 2);
            Tensor c = Tensor.zeros(n, n);
            Runnable call = raw.equals("cuda-raw") ? dev.anvil.backend.cuda.CudaRaw.sgemm(a, b, c)
                    : dev.anvil.backend.openblas.OpenBlasRaw.sgemm(a, b, c);
            return () -> {
                call.run();
                return c;
            };
        }

        @Override
        boolean hasRaw(String raw) {
            return raw.equals("openblas-raw") || raw.equals("cuda-raw");
        }

        @Override
        double flops(int n) {
            return 2.0 * n * n * n;
        }
    },
    /** Elementwise F32 {@code a + b} over n elements: reads 2, writes 1, so 3 * 4n bytes. */
    ADD(List.of(1 << 20, 1 << 24)) {
        @Override
        Supplier<Tensor> prepare(int n) {
            Tensor a = Tensor.rand(Shape.of(n), 1);
            Tensor b = Tensor.rand(Shape.of(n), 2);
            return () -> a.add(b);
        }

        @Override
        double bytes(int n) {
            return 3.0 * 4 * n;
        }
    },
    /** Contiguous copy of n F32 elements with {@code tensor.copy()}: 2 * 4n bytes. */
    COPY(List.of(1 << 20, 1 << 24)) {
        @Override
        Supplier<Tensor> prepare(int n) {
            Tensor a = Tensor.rand(Shape.of(n), 1);
            return a::copy;
        }

        @Override
        double bytes(int n) {
            return 2.0 * 4 * n;
        }
    },
    /** Softmax over the last axis of {@code [256, n]} F32: reads and writes each element, 2 * 4 * 256n bytes. */
    SOFTMAX(List.of(1024, 4096)) {
        @Override
        Supplier<Tensor> prepare(int n) {
            Tensor x = Tensor.randn(Shape.of(SOFTMAX_ROWS, n), 1);
            return () -> x.softmax(-1);
        }

        @Override
        double bytes(int n) {
            return 2.0 * 4 * SOFTMAX_ROWS * n;
        }
    },

    /** A training epoch of the MLP 784-256-128-10 with Adam; size = batch size; reports samples/s. */
    MLP_TRAIN_EPOCH(List.of(128)),
    /** A training epoch of the CNN (conv 32, pool, conv 64, pool, dense 128, dense 10) with Adam; size = batch size. */
    CNN_TRAIN_EPOCH(List.of(128)),
    /** MLP inference under noGrad; size = batch size; reports p50, p99 latency and samples/s. */
    MLP_INFER(List.of(1, 256)),
    /** The model server under in-process HTTP load (see {@link ServeBench}); size = instances per request. */
    SERVE(List.of(1, 32)),

    /**
     * Opening a safetensors file of size bytes (F32, {@value FileBench#TENSORS} tensors) that is in the page
     * cache: map, validate, a host view per tensor, close. GB/s is the file size over that time.
     */
    LOAD(List.of(400_000_000)) {
        @Override
        double bytes(int size) {
            return size;
        }
    },
    /** Writing that file atomically, left in the page cache (no fsync). */
    SAVE(List.of(400_000_000)) {
        @Override
        double bytes(int size) {
            return size;
        }
    },
    /** Writing that file atomically and durably (fsync before the rename), as model packages are saved. */
    SAVE_DURABLE(List.of(400_000_000)) {
        @Override
        double bytes(int size) {
            return size;
        }
    };

    /** True for the model-file cases measured by {@link FileBench}: they run once, not per backend. */
    boolean fileCase() {
        return this == LOAD || this == SAVE || this == SAVE_DURABLE;
    }

    /** True for the whole-model cases measured by {@link ModelBench}. */
    boolean modelCase() {
        return this == MLP_TRAIN_EPOCH || this == CNN_TRAIN_EPOCH || this == MLP_INFER || this == SERVE;
    }

    /** Rows of the softmax case; its size is the row length. */
    static final int SOFTMAX_ROWS = 256;

    private final List<Integer> defaultSizes;

    BenchOp(List<Integer> defaultSizes) {
        this.defaultSizes = defaultSizes;
    }

    /**
     * Allocates the inputs of one case on the current backend, in the current memory scope, and returns the
     * call to time (which allocates its output in whatever scope is current when it runs). Kernel cases only:
     * the whole-model and file cases are measured by {@link ModelBench}, {@link ServeBench} and {@link FileBench}.
     */
    Supplier<Tensor> prepare(int size) {
        throw new UnsupportedOperationException(this + " is not a kernel case");
    }

    /**
     * The same case through a library called directly on the current backend's buffers ({@code openblas-raw}),
     * bypassing Anvil's dispatch; null when this op has no raw form.
     */
    Supplier<Tensor> prepareRaw(String raw, int size) {
        return null;
    }

    /** True when {@link #prepareRaw} has a form for {@code raw}. */
    boolean hasRaw(String raw) {
        return false;
    }

    /** Floating-point operations of one call, or NaN when GFLOP/s is not meaningful. */
    double flops(int size) {
        return Double.NaN;
    }

    /** Bytes one call must move, or NaN when GB/s is not meaningful. */
    double bytes(int size) {
        return Double.NaN;
    }

    List<Integer> defaultSizes() {
        return defaultSizes;
    }

    /** How the size reads in the table: the shape of the input. */
    String sizeLabel(int size) {
        return switch (this) {
            case GEMM -> size + "x" + size;
            case SOFTMAX -> SOFTMAX_ROWS + "x" + size;
            case MLP_TRAIN_EPOCH, CNN_TRAIN_EPOCH, MLP_INFER -> "batch " + size;
            case SERVE -> size + " per request";
            case LOAD, SAVE, SAVE_DURABLE -> size % 1_000_000 == 0 ? size / 1_000_000 + "MB" : size + "B";
            default -> Integer.toString(size);
        };
    }

    /** Reads an op name as written on the command line, case-insensitively. */
    static final class Converter implements ITypeConverter<BenchOp> {
        @Override
        public BenchOp convert(String value) {
            for (BenchOp op : values()) {
                if (op.toString().equalsIgnoreCase(value.trim())) {
                    return op;
                }
            }
            throw new TypeConversionException("unknown op '" + value + "'; expected one of "
                    + Arrays.stream(values()).map(BenchOp::toString).collect(Collectors.joining(", ")));
        }
    }

    /** Lower-case with dashes, as written on the command line and in the JSON ({@code mlp-train-epoch}). */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
