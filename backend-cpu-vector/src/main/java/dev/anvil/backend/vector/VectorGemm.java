package dev.anvil.backend.vector;

import dev.anvil.DType;
import dev.anvil.spi.ComputePool;
import dev.anvil.spi.GemmSpec;
import dev.anvil.spi.HostStorage;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * GEMM for the cpu-vector backend: handles the degenerate shapes, splits the work over the compute pool,
 * and hands each thread a block of C for the packed, register-tiled kernels ({@link VectorGemmF32},
 * {@link VectorGemmF64}).
 *
 * <p>Semantics are BLAS's: {@code beta == 0} overwrites C without reading it, and {@code alpha == 0} or
 * {@code k == 0} only scales C by beta, without reading A or B.
 */
final class VectorGemm {
    /**
     * Least work (2*m*n*k flops) worth handing to a thread. One core does about 75 GFLOP/s here and waking
     * a parked pool worker costs tens of microseconds, so a product stays on the calling thread until each
     * half is worth about 30 us: a 128^3 product is the smallest that is split in two. (An estimate: on the
     * shared 2-core machine the crossover was lost in the noise of other jobs.)
     */
    static final double MIN_FLOPS_PER_THREAD = 128.0 * 128 * 128;

    private VectorGemm() {
    }

    /**
     * Vector width: {@code -Danvil.vector.bits=128|256|512} if set, else the CPU's preferred width. A width
     * the CPU lacks still computes correctly but is emulated by the JDK, many times slower.
     */
    static VectorShape shape() {
        String v = System.getProperty("anvil.vector.bits");
        if (v == null || v.isBlank()) {
            return VectorShape.preferredShape();
        }
        return switch (v.trim()) {
            case "128" -> VectorShape.S_128_BIT;
            case "256" -> VectorShape.S_256_BIT;
            case "512" -> VectorShape.S_512_BIT;
            default -> throw new IllegalArgumentException("anvil.vector.bits must be 128, 256 or 512, got '" + v + "'");
        };
    }

    static VectorSpecies<Float> floatSpecies() {
        return FloatVector.SPECIES_PREFERRED.withShape(shape());
    }

    static VectorSpecies<Double> doubleSpecies() {
        return DoubleVector.SPECIES_PREFERRED.withShape(shape());
    }

    /** Runs {@code g} (validated by its constructor) on the calling thread and the compute pool. */
    static void gemm(GemmSpec g) {
        int m = g.m();
        int n = g.n();
        if (g.batch() == 0 || m == 0 || n == 0) {
            return;
        }
        if (g.k() == 0 || g.alpha() == 0) {
            scaleC(g);
            return;
        }
        boolean f32 = g.dtype() == DType.F32;
        if (m == 1 || n == 1) {
            // a matrix times a vector: memory bound, split over the outputs
            int outputs = m == 1 ? n : m;
            long items = (long) outputs * g.batch();
            long minChunk = (long) Math.ceil(MIN_FLOPS_PER_THREAD / (2.0 * g.k()));
            ComputePool.parallelFor(items, minChunk, (from, to) -> {
                for (long it = from; it < to; ) {
                    int p = (int) (it / outputs);
                    int o0 = (int) (it % outputs);
                    int o1 = (int) Math.min(outputs, o0 + (to - it));
                    if (f32) {
                        VectorGemmF32.gemv(g, p, o0, o1);
                    } else {
                        VectorGemmF64.gemv(g, p, o0, o1);
                    }
                    it += o1 - o0;
                }
                return 0;
            });
            return;
        }
        // Split the larger of m and n into micro-tile columns or rows; work items run batch-major, so a
        // thread's contiguous range covers whole matrices when the batch is large and parts of one when not.
        boolean splitN = n >= m;
        int unit = splitN
                ? (f32 ? VectorGemmF32.NR : VectorGemmF64.NR)
                : (f32 ? VectorGemmF32.MR : VectorGemmF64.MR);
        int extent = splitN ? n : m;
        long tiles = (extent + unit - 1) / unit;
        long items = tiles * g.batch();
        double flopsPerItem = g.flops() / items;
        long minChunk = (long) Math.ceil(MIN_FLOPS_PER_THREAD / flopsPerItem);
        ComputePool.parallelFor(items, minChunk, (from, to) -> {
            for (long it = from; it < to; ) {
                int p = (int) (it / tiles);
                long t0 = it % tiles;
                long t1 = Math.min(tiles, t0 + (to - it));
                int lo = (int) (t0 * unit);
                int hi = (int) Math.min(extent, t1 * unit);
                if (splitN) {
                    block(g, f32, p, 0, m, lo, hi);
                } else {
                    block(g, f32, p, lo, hi, 0, n);
                }
                it += t1 - t0;
            }
            return 0;
        });
    }

    private static void block(GemmSpec g, boolean f32, int p, int i0, int i1, int j0, int j1) {
        if (f32) {
            VectorGemmF32.block(g, p, i0, i1, j0, j1);
        } else {
            VectorGemmF64.block(g, p, i0, i1, j0, j1);
        }
    }

    /** C = beta * C over every batch (zeros, without reading C, when beta == 0). */
    private static void scaleC(GemmSpec g) {
        MemorySegment c = ((HostStorage) g.c()).segment();
        boolean f32 = g.dtype() == DType.F32;
        double beta = g.beta();
        if (beta == 1) {
            return;
        }
        for (int p = 0; p < g.batch(); p++) {
            for (int i = 0; i < g.m(); i++) {
                long row = g.cOffset() + p * g.cBatchStride() + i * g.ldc();
                for (int j = 0; j < g.n(); j++) {
                    if (f32) {
                        float v = beta == 0 ? 0f : (float) beta * c.getAtIndex(ValueLayout.JAVA_FLOAT, row + j);
                        c.setAtIndex(ValueLayout.JAVA_FLOAT, row + j, v);
                    } else {
                        double v = beta == 0 ? 0 : beta * c.getAtIndex(ValueLayout.JAVA_DOUBLE, row + j);
                        c.setAtIndex(ValueLayout.JAVA_DOUBLE, row + j, v);
                    }
                }
            }
        }
    }
}
