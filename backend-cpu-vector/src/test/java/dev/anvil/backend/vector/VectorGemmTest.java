package dev.anvil.backend.vector;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.anvil.DType;
import dev.anvil.backend.reference.ReferenceBackend;
import dev.anvil.spi.GemmSpec;
import dev.anvil.spi.HostAccess;
import dev.anvil.spi.HostStorage;
import dev.anvil.spi.Storage;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VectorGemmTest {
    private static final ReferenceBackend REF = new ReferenceBackend();
    private static final int[] SIZES = {1, 3, 7, 8, 15, 17, 33, 65, 130};

    /** One problem: sizes, flags, scalars and layout padding; the storages are built by {@link #run}. */
    private record Case(DType dtype, int batch, int m, int n, int k, double alpha, double beta, boolean transA,
                        boolean transB, int pad, long offset, boolean broadcastA, boolean broadcastB, long seed) {
        Case(DType dtype, int m, int n, int k, boolean transA, boolean transB, long seed) {
            this(dtype, 1, m, n, k, 1, 0, transA, transB, 0, 0, false, false, seed);
        }
    }

    @Test
    void matchesReferenceForEveryTransposeAndTailSize() {
        long seed = 1;
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                for (int m : SIZES) {
                    // n and k step through the same list at other strides, so different tails meet
                    int n = SIZES[(m * 7 + 3) % SIZES.length];
                    int k = SIZES[(m * 5 + 1) % SIZES.length];
                    run(new Case(DType.F32, m, n, k, ta, tb, seed++));
                    run(new Case(DType.F32, n, k, m, ta, tb, seed++));
                    run(new Case(DType.F32, k, m, n, ta, tb, seed++));
                }
            }
        }
    }

    @Test
    void matchesReferenceOnSquareSizesAroundTheTiles() {
        long seed = 100;
        for (int s : SIZES) {
            run(new Case(DType.F32, s, s, s, false, false, seed++));
        }
    }

    @Test
    void spansSeveralCacheBlocksInEveryDimension() {
        // m > MC, k > KC and n > NR, with tails everywhere, under several transpose combinations
        int m = VectorGemmF32.MC + 7;
        int k = VectorGemmF32.KC + 9;
        int n = VectorGemmF32.NR + 5;
        run(new Case(DType.F32, m, n, k, false, false, 7));
        run(new Case(DType.F32, m, n, k, true, true, 8));
        run(new Case(DType.F32, n, m, k, true, false, 9));
        run(new Case(DType.F32, 1, 1, 2 * VectorGemmF32.KC + 3, false, true, 10));
    }

    @Test
    void largeEnoughToSplitOverThreads() {
        // each just over twice VectorGemm.MIN_FLOPS_PER_THREAD, so a pool of two or more threads splits them
        run(new Case(DType.F32, 170, 150, 100, false, false, 11));
        run(new Case(DType.F64, 150, 170, 100, true, false, 13));
    }

    @Test
    void scalesByAlphaAndAccumulatesBetaTimesC() {
        run(new Case(DType.F32, 1, 17, 33, 65, 0.5, 1.5, false, true, 0, 0, false, false, 20));
        run(new Case(DType.F32, 1, 33, 17, 300, -2, -1, true, false, 0, 0, false, false, 21));
        run(new Case(DType.F32, 1, 8, 8, 8, 1, 1, false, false, 0, 0, false, false, 22));
        run(new Case(DType.F64, 1, 15, 7, 33, 0.25, 2, true, true, 0, 0, false, false, 23));
    }

    @Test
    void zeroDepthScalesCByBeta() {
        run(new Case(DType.F32, 1, 7, 9, 0, 1, 0, false, false, 0, 0, false, false, 30));
        run(new Case(DType.F32, 2, 7, 9, 0, 3, 0.5, true, true, 2, 3, false, false, 31));
        run(new Case(DType.F64, 1, 7, 9, 0, 1, 2, false, false, 0, 0, false, false, 32));
    }

    @Test
    void betaZeroOverwritesNaNInC() {
        // run() pre-fills C with NaN whenever beta == 0
        run(new Case(DType.F32, 1, 65, 33, 17, 1, 0, false, false, 0, 0, false, false, 40));
        run(new Case(DType.F32, 1, 130, 130, 300, 2, 0, true, false, 0, 0, false, false, 41));
        run(new Case(DType.F64, 1, 17, 15, 8, 1, 0, false, true, 0, 0, false, false, 42));
    }

    @Test
    void honoursOffsetsAndLeadingDimensionsWiderThanTheRow() {
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                run(new Case(DType.F32, 1, 33, 17, 65, 1, 0.5, ta, tb, 5, 13, false, false, 50));
                run(new Case(DType.F32, 1, 7, 130, 15, 1, 0, ta, tb, 3, 1, false, false, 51));
                run(new Case(DType.F64, 1, 17, 15, 7, 1, 1, ta, tb, 4, 9, false, false, 52));
            }
        }
    }

    @Test
    void batchesWithOwnOrBroadcastOperands() {
        run(new Case(DType.F32, 4, 17, 33, 15, 1, 0, false, false, 2, 5, false, false, 60));
        run(new Case(DType.F32, 3, 33, 17, 65, 1, 0.5, true, false, 0, 3, true, false, 61));
        run(new Case(DType.F32, 5, 15, 65, 17, 2, 0, false, true, 1, 0, false, true, 62));
        run(new Case(DType.F32, 3, 130, 65, 33, 1, 0, false, false, 0, 0, false, true, 63));
        run(new Case(DType.F64, 3, 9, 17, 8, 1, 1, true, true, 3, 2, true, false, 64));
    }

    @Test
    void matrixTimesVectorShapesTakeTheUnpackedPath() {
        long seed = 90;
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                for (int k : new int[] {1, 7, 17, 130}) {
                    run(new Case(DType.F32, 1, 33, k, ta, tb, seed++));
                    run(new Case(DType.F32, 65, 1, k, ta, tb, seed++));
                }
                run(new Case(DType.F32, 1, 1, 65, ta, tb, seed++));
                // more outputs than one accumulator block, with a tail
                run(new Case(DType.F32, 1, VectorGemmF32.GEMV_BLOCK + 9, 5, ta, tb, seed++));
                run(new Case(DType.F32, 3, 1, 17, 33, 0.5, 2, ta, tb, 3, 4, false, true, seed++));
                run(new Case(DType.F64, 1, 1, 9, 17, 2, 0, ta, tb, 2, 1, true, false, seed++));
                run(new Case(DType.F64, 1, 9, 1, 17, 1, 0.5, ta, tb, 0, 0, false, false, seed++));
            }
        }
    }

    @Test
    void emptyShapesAreNoOps() {
        run(new Case(DType.F32, 0, 5, 5, 5, 1, 0, false, false, 0, 0, false, false, 70));
        run(new Case(DType.F32, 1, 0, 5, 5, 1, 0, false, false, 0, 0, false, false, 71));
        run(new Case(DType.F32, 1, 5, 0, 5, 1, 0, true, true, 0, 0, false, false, 72));
    }

    @Test
    void f64MatchesReferenceForEveryTranspose() {
        long seed = 80;
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                run(new Case(DType.F64, 1, 1, 1, ta, tb, seed++));
                run(new Case(DType.F64, 7, 9, 3, ta, tb, seed++));
                run(new Case(DType.F64, 33, 17, 65, ta, tb, seed++));
                run(new Case(DType.F64, 70, 65, 140, ta, tb, seed++));
            }
        }
    }

    /** Builds seeded operands for {@code t}, runs the vector GEMM and the reference on copies of C, compares. */
    private static void run(Case t) {
        DType d = t.dtype();
        int aRows = t.transA() ? t.k() : t.m();
        int aCols = t.transA() ? t.m() : t.k();
        int bRows = t.transB() ? t.n() : t.k();
        int bCols = t.transB() ? t.k() : t.n();
        long lda = aCols + t.pad() + (aCols == 0 ? 1 : 0);
        long ldb = bCols + t.pad() + (bCols == 0 ? 1 : 0);
        long ldc = t.n() + t.pad() + (t.n() == 0 ? 1 : 0);
        long aMat = aRows * lda;
        long bMat = bRows * ldb;
        long cMat = t.m() * ldc;
        long aStride = t.broadcastA() ? 0 : aMat + t.pad();
        long bStride = t.broadcastB() ? 0 : bMat + t.pad();
        long cStride = cMat + t.pad();
        int batches = Math.max(1, t.batch());
        Random rnd = new Random(t.seed());
        Storage a = filled(d, t.offset() + (batches - 1) * aStride + aMat + 1, rnd, false);
        Storage b = filled(d, t.offset() + (batches - 1) * bStride + bMat + 1, rnd, false);
        long cElems = t.offset() + (batches - 1) * cStride + cMat + 1;
        Storage c = filled(d, cElems, rnd, t.beta() == 0);
        Storage expected = REF.allocate(cElems * d.byteSize(), false);
        MemorySegment.copy(seg(c), 0, seg(expected), 0, cElems * d.byteSize());

        REF.gemm(spec(t, a, lda, aStride, b, ldb, bStride, expected, ldc, cStride));
        VectorGemm.gemm(spec(t, a, lda, aStride, b, ldb, bStride, c, ldc, cStride));

        double tol = (d == DType.F32 ? 1e-4 : 1e-12) * Math.sqrt(Math.max(1, t.k()));
        for (long i = 0; i < cElems; i++) {
            double want = HostAccess.getDouble(seg(expected), d, i);
            double got = HostAccess.getDouble(seg(c), d, i);
            if (Double.isNaN(want)) {
                // outside every C matrix (padding) the NaN fill must survive untouched
                assertTrue(Double.isNaN(got), () -> t + ": padding element was written");
                continue;
            }
            // relative to the value, with an absolute floor for sums that cancel to near zero
            if (Math.abs(want - got) > tol * Math.max(1, Math.abs(want))) {
                fail(t + ": element " + i + " expected " + want + " but was " + got);
            }
        }
    }

    private static GemmSpec spec(Case t, Storage a, long lda, long aStride, Storage b, long ldb, long bStride,
                                 Storage c, long ldc, long cStride) {
        return new GemmSpec(t.dtype(), t.batch(), t.m(), t.n(), t.k(), t.alpha(), t.beta(),
                a, t.offset(), lda, aStride, t.transA(),
                b, t.offset(), ldb, bStride, t.transB(),
                c, t.offset(), ldc, cStride);
    }

    private static Storage filled(DType d, long elements, Random rnd, boolean nan) {
        Storage s = REF.allocate(elements * d.byteSize(), false);
        for (long i = 0; i < elements; i++) {
            HostAccess.putDouble(seg(s), d, i, nan ? Double.NaN : rnd.nextDouble() * 2 - 1);
        }
        return s;
    }

    private static MemorySegment seg(Storage s) {
        return ((HostStorage) s).segment();
    }
}
