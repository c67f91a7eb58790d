package dev.anvil.backend.cuda;

import java.util.Locale;

/**
 * The kernels of the {@code .cu} sources, each named {@code <constant in lower case>_k} in its file.
 * KernelSourcesTest checks that every constant is defined where it says.
 */
enum Kernel {
    FILL("elementwise.cu"),
    COPY_RAW("elementwise.cu"),
    COPY_CAST("elementwise.cu"),
    UNARY_F32("elementwise.cu"),
    UNARY_F64("elementwise.cu"),
    UNARY_INT("elementwise.cu"),
    BINARY_F32("elementwise.cu"),
    BINARY_F64("elementwise.cu"),
    BINARY_F32_DENSE("elementwise.cu"),
    BINARY_INT("elementwise.cu"),
    WHERE("elementwise.cu"),
    REDUCE("reduce.cu"),
    REDUCE_COLS("reduce.cu"),
    ARGREDUCE("reduce.cu"),
    SOFTMAX_F32("softmax.cu"),
    SOFTMAX_F64("softmax.cu"),
    IM2COL_F32("conv.cu"),
    IM2COL_F64("conv.cu"),
    COL2IM_F32("conv.cu"),
    COL2IM_F64("conv.cu"),
    GATHER("index.cu"),
    SCATTER_ADD("index.cu");

    final String file;

    Kernel(String file) {
        this.file = file;
    }

    /** The extern "C" name of the kernel. */
    String symbol() {
        return name().toLowerCase(Locale.ROOT) + "_k";
    }
}
