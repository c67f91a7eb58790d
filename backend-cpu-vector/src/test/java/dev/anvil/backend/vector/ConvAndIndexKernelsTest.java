package dev.anvil.backend.vector;

import static dev.anvil.backend.vector.KernelFixture.REF;
import static dev.anvil.backend.vector.KernelFixture.VEC;
import static dev.anvil.backend.vector.KernelFixture.assertExact;
import static dev.anvil.backend.vector.KernelFixture.empty;
import static dev.anvil.backend.vector.KernelFixture.put;
import static dev.anvil.backend.vector.KernelFixture.random;
import static dev.anvil.backend.vector.KernelFixture.strided;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anvil.DType;
import dev.anvil.spi.BatchIm2col;
import dev.anvil.spi.ConvGeometry;
import dev.anvil.spi.View;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** im2col, col2im, gather and scatterAdd against the reference backend; all exact (they only move or add). */
class ConvAndIndexKernelsTest {
    static final ConvGeometry[] GEOMETRIES = {
        new ConvGeometry(2, 3, 7, 9, 3, 3, 1, 1, 1, 1, 1, 1),
        new ConvGeometry(1, 2, 8, 8, 3, 3, 2, 2, 1, 1, 1, 1),
        new ConvGeometry(2, 1, 10, 11, 2, 3, 1, 2, 0, 2, 2, 1),
        new ConvGeometry(1, 4, 5, 5, 5, 5, 1, 1, 4, 4, 1, 1),     // padding wider than half the kernel
        new ConvGeometry(3, 2, 33, 35, 1, 1, 1, 1, 0, 0, 1, 1),
        new ConvGeometry(2, 8, 40, 40, 3, 3, 1, 1, 1, 1, 1, 1),   // large enough to use the pool
        new ConvGeometry(3, 5, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1),   // the CNN's second layer: one vector and an overlapping one
        new ConvGeometry(2, 2, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1),
        new ConvGeometry(2, 3, 13, 20, 3, 2, 2, 1, 2, 0, 2, 1),   // vertical stride and dilation, no horizontal padding
    };

    @Test
    void im2colMatchesReference() {
        for (DType t : new DType[] {DType.F32, DType.F64, DType.I32, DType.BF16}) {
            for (ConvGeometry g : GEOMETRIES) {
                View x = strided(t, g.h(), g.inputShape(), dev.anvil.spi.Layout.contiguousStrides(g.inputShape()), 5);
                View v = empty(VEC, t, g.colsShape());
                View r = empty(REF, t, g.colsShape());
                VEC.im2col(x, g, v);
                REF.im2col(x, g, r);
                assertExact("im2col " + t + " " + g, r, v);
            }
        }
    }

    @Test
    void col2imAccumulatesLikeReference() {
        for (DType t : new DType[] {DType.F32, DType.F64, DType.I32}) {
            for (ConvGeometry g : GEOMETRIES) {
                View cols = random(t, g.w(), g.colsShape());
                View v = random(t, 3, g.inputShape());
                View r = random(t, 3, g.inputShape());
                VEC.col2im(cols, g, v);
                REF.col2im(cols, g, r);
                assertExact("col2im " + t + " " + g, r, v);
            }
        }
    }

    @Test
    void planesTooLargeForTheScratchBufferUnfoldAndFoldInPlaceAlike() {
        for (DType t : new DType[] {DType.F32, DType.F64}) {
            for (ConvGeometry g : GEOMETRIES) {
                for (boolean batchColumns : new boolean[] {false, true}) {
                    View x = random(t, g.h(), g.inputShape());
                    View a = empty(VEC, t, g.colsShape());
                    View b = empty(VEC, t, g.colsShape());
                    ConvKernels.im2col(x, g, a, batchColumns);
                    ConvKernels.im2col(x, g, b, batchColumns, 0);
                    assertExact("im2col without scratch " + t + " " + g, a, b);
                    View u = random(t, 3, g.inputShape());
                    View v = random(t, 3, g.inputShape());
                    ConvKernels.col2im(a, g, u, batchColumns);
                    ConvKernels.col2im(a, g, v, batchColumns, 0);
                    assertExact("col2im without scratch " + t + " " + g, u, v);
                }
            }
        }
    }

    /** {@code [n, rows, L]} per-image columns seen as the batch layout {@code [rows, n, L]} (a permuted view). */
    private static View asBatchColumns(View perImage, ConvGeometry g) {
        int rows = g.c() * g.kh() * g.kw();
        int plane = g.outH() * g.outW();
        return new View(perImage.storage(), perImage.dtype(), new dev.anvil.spi.Layout(new int[] {rows, g.n(), plane},
                new long[] {plane, (long) rows * plane, 1}, perImage.offset()));
    }

    private static int[] batchColsShape(ConvGeometry g) {
        return new int[] {g.c() * g.kh() * g.kw(), g.n(), g.outH() * g.outW()};
    }

    @Test
    void batchIm2colIsThePerImageColumnsSideBySide() {
        BatchIm2col batch = VEC.kernel(BatchIm2col.class).orElseThrow();
        for (DType t : new DType[] {DType.F32, DType.F64, DType.I32}) {
            for (ConvGeometry g : GEOMETRIES) {
                View x = random(t, g.h(), g.inputShape());
                View v = empty(VEC, t, batchColsShape(g));
                View r = empty(REF, t, g.colsShape());
                batch.im2col(x, g, v);
                REF.im2col(x, g, r);
                assertExact("batch im2col " + t + " " + g, asBatchColumns(r, g), v);
            }
        }
    }

    @Test
    void batchCol2imAccumulatesLikeReference() {
        BatchIm2col batch = VEC.kernel(BatchIm2col.class).orElseThrow();
        for (DType t : new DType[] {DType.F32, DType.F64}) {
            for (ConvGeometry g : GEOMETRIES) {
                View perImage = random(t, g.w(), g.colsShape());
                View cols = empty(VEC, t, batchColsShape(g));
                VEC.copy(asBatchColumns(perImage, g), cols);
                View v = random(t, 3, g.inputShape());
                View r = random(t, 3, g.inputShape());
                batch.col2im(cols, g, v);
                REF.col2im(perImage, g, r);
                assertExact("batch col2im " + t + " " + g, r, v);
            }
        }
        ConvGeometry g = GEOMETRIES[0];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> batch.col2im(
                empty(VEC, DType.I32, batchColsShape(g)), g, empty(VEC, DType.I32, g.inputShape())));
        assertTrue(e.getMessage().contains("I32"), e.getMessage());
    }

    static View indices(DType t, long seed, int bound, int... shape) {
        View idx = random(t, seed, shape);
        SplittableRandom r = new SplittableRandom(seed);
        for (long i = 0; i < idx.numel(); i++) {
            put(idx, i, r.nextInt(bound));
        }
        return idx;
    }

    @Test
    void gatherMatchesReference() {
        for (DType t : new DType[] {DType.F32, DType.I64, DType.U8, DType.F16}) {
            for (DType it : new DType[] {DType.I64, DType.I32}) {
                View x = random(t, 1, 9, 33);
                // axis 0 with a full index, axis 1, and an embedding-style lookup (index broadcast along the row)
                View i0 = indices(it, 2, 9, 5, 33);
                View i1 = indices(it, 3, 33, 9, 17);
                View emb = strided(it, 4, new int[] {6, 33}, new long[] {1, 0}, 0);
                for (int k = 0; k < 6; k++) {
                    put(emb, (long) k * 33, (k * 5) % 9);
                }
                View xt = strided(t, 5, new int[] {9, 33}, new long[] {1, 9}, 2);
                Object[][] cases = {{x, 0, i0}, {x, 1, i1}, {x, 0, emb}, {xt, 0, i0}, {xt, 1, i1}};
                for (Object[] c : cases) {
                    View src = (View) c[0];
                    int axis = (Integer) c[1];
                    View idx = (View) c[2];
                    View v = empty(VEC, t, idx.shape());
                    View r = empty(REF, t, idx.shape());
                    VEC.gather(src, axis, idx, v);
                    REF.gather(src, axis, idx, r);
                    assertExact("gather " + t + " index " + it + " axis " + axis, r, v);
                }
            }
        }
        View big = random(DType.F32, 6, 1000, 100);
        View idx = indices(DType.I64, 7, 1000, 700, 100);
        View v = empty(VEC, DType.F32, 700, 100);
        View r = empty(REF, DType.F32, 700, 100);
        VEC.gather(big, 0, idx, v);
        REF.gather(big, 0, idx, r);
        assertExact("gather large", r, v);
    }

    @Test
    void scatterAddMatchesReferenceWithRepeatedIndices() {
        for (DType t : new DType[] {DType.F32, DType.F64, DType.I64}) {
            View src = random(t, 1, 12, 33);
            View i0 = indices(DType.I64, 2, 4, 12, 33);          // many collisions
            View emb = strided(DType.I32, 3, new int[] {12, 33}, new long[] {1, 0}, 0);
            for (int k = 0; k < 12; k++) {
                put(emb, (long) k * 33, k % 4);
            }
            View i1 = indices(DType.I64, 4, 17, 12, 33);
            Object[][] cases = {{0, i0, new int[] {4, 33}}, {0, emb, new int[] {4, 33}}, {1, i1, new int[] {12, 17}}};
            for (Object[] c : cases) {
                int axis = (Integer) c[0];
                View idx = (View) c[1];
                int[] outShape = (int[]) c[2];
                View v = random(t, 9, outShape);
                View r = random(t, 9, outShape);
                VEC.scatterAdd(src, axis, idx, v);
                REF.scatterAdd(src, axis, idx, r);
                assertExact("scatterAdd " + t + " axis " + axis, r, v);
            }
        }
    }

    @Test
    void largeScatterAddSplitOverThreadsMatchesReferenceBitwise() {
        // large enough for the pool; many repeated indices inside each slice; output larger than the index
        Object[][] cases = {
            {2, new int[] {64, 3, 2100}, 50, new int[] {70, 3, 50}},  // split along images
            {2, new int[] {64, 3, 2100}, 50, new int[] {64, 3, 50}},  // max pooling's form: F32 rows through heap copies
            {0, new int[] {40, 4000}, 7, new int[] {7, 4001}},         // axis 0: split along columns
        };
        for (DType t : new DType[] {DType.F32, DType.F64}) {
            for (Object[] c : cases) {
                int axis = (Integer) c[0];
                int[] shape = (int[]) c[1];
                View src = random(t, 11, shape);
                View idx = indices(DType.I64, 12, (Integer) c[2], shape);
                View v = random(t, 13, (int[]) c[3]);
                View r = random(t, 13, (int[]) c[3]);
                VEC.scatterAdd(src, axis, idx, v);
                REF.scatterAdd(src, axis, idx, r);
                assertExact("large scatterAdd " + t + " axis " + axis, r, v);
            }
        }
        View idx = indices(DType.I64, 14, 6, 4, 5);
        put(idx, 13, 7);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VEC.scatterAdd(random(DType.F32, 15, 4, 5), 1, idx, empty(VEC, DType.F32, 4, 6)));
        assertTrue(e.getMessage().contains("index 7") && e.getMessage().contains("size 6"), e.getMessage());
    }

    @Test
    void indicesOutOfRangeAreRejected() {
        View x = random(DType.F32, 1, 4, 5);
        for (long bad : new long[] {-1, 4, Long.MAX_VALUE}) {
            View idx = indices(DType.I64, 2, 4, 3, 5);
            put(idx, 7, bad);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> VEC.gather(x, 0, idx, empty(VEC, DType.F32, 3, 5)));
            assertTrue(e.getMessage().contains("gather") && e.getMessage().contains("out of range"), e.getMessage());
            View src = random(DType.F32, 3, 3, 5);
            e = assertThrows(IllegalArgumentException.class, () -> VEC.scatterAdd(src, 0, idx, empty(VEC, DType.F32, 4, 5)));
            assertTrue(e.getMessage().contains("scatterAdd"), e.getMessage());
        }
        View emb = strided(DType.I32, 4, new int[] {3, 5}, new long[] {1, 0}, 0);
        put(emb, 5, 9);
        assertThrows(IllegalArgumentException.class, () -> VEC.gather(x, 0, emb, empty(VEC, DType.F32, 3, 5)));
        // a large gather is split over the pool: a bad index in any piece still surfaces as IllegalArgumentException
        View big = random(DType.F32, 6, 1000, 100);
        View idx = indices(DType.I64, 7, 1000, 700, 100);
        put(idx, 699 * 100 + 5, 1000);
        assertThrows(IllegalArgumentException.class, () -> VEC.gather(big, 0, idx, empty(VEC, DType.F32, 700, 100)));
    }
}
