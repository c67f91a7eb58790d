package dev.anvil.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.anvil.spi.Layout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Runs everywhere: the geometry the kernels walk visits the same elements as the layouts say. */
class StridedTest {

    /** Every element offset of every operand, in row-major order, as the kernels would compute them. */
    private static long[][] walk(Strided s) {
        List<long[]> rows = new ArrayList<>();
        s.forEachLaunch(piece -> {
            for (long i = 0; i < piece.numel; i++) {
                long[] r = new long[piece.operands()];
                for (int k = 0; k < r.length; k++) {
                    r[k] = piece.locate(i, k);
                }
                rows.add(r);
            }
        });
        return rows.toArray(new long[0][]);
    }

    private static long[][] expected(int[] shape, Layout... layouts) {
        long n = Layout.numel(shape);
        long[][] rows = new long[(int) n][layouts.length];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < layouts.length; k++) {
                rows[i][k] = layouts[k].indexOfLinear(i);
            }
        }
        return rows;
    }

    @Test
    void denseTensorsOfAnyRankBecomeOneRun() {
        Strided s = Strided.of(new int[] {2, 3, 4, 5}, Layout.contiguous(2, 3, 4, 5), Layout.contiguous(2, 3, 4, 5));
        assertArrayEquals(new int[] {120}, s.dims);
        assertEquals(120, s.numel);
    }

    @Test
    void broadcastAndTransposedOperandsVisitTheRightElements() {
        int[] shape = {4, 3, 5};
        Layout a = Layout.contiguous(shape);
        Layout b = new Layout(shape, new long[] {0, 1, 0}, 7); // broadcast [1, 3, 1] at offset 7
        Layout c = new Layout(shape, new long[] {1, 4, 12}, 2); // a permuted [5, 3, 4]
        assertArrayEquals(expected(shape, a, b, c), walk(Strided.of(shape, a, b, c)));
    }

    @Test
    void randomLayoutsUpToRankElevenAreSplitIntoLaunchesOfRankEight() {
        SplittableRandom rnd = new SplittableRandom(42);
        for (int trial = 0; trial < 200; trial++) {
            int rank = rnd.nextInt(0, 12);
            int[] shape = new int[rank];
            for (int i = 0; i < rank; i++) {
                shape[i] = rnd.nextInt(1, rank > 8 ? 3 : 5);
            }
            Layout[] layouts = new Layout[rnd.nextInt(1, 5)];
            for (int k = 0; k < layouts.length; k++) {
                long[] strides = Layout.contiguousStrides(shape);
                for (int i = 0; i < rank; i++) {
                    int kind = rnd.nextInt(4);
                    if (kind == 0) {
                        strides[i] = 0;
                    } else if (kind == 1) {
                        strides[i] = strides[i] * 3 + 1;
                    }
                }
                layouts[k] = new Layout(shape, strides, rnd.nextInt(10));
            }
            Strided s = Strided.of(shape, layouts);
            assertArrayEquals(expected(shape, layouts), walk(s), s.toString());
            s.forEachLaunch(piece -> assertEquals(true, piece.rank() <= Strided.MAX_RANK));
        }
    }

    @Test
    void emptyShapesLaunchNothing() {
        Strided s = Strided.of(new int[] {3, 0}, Layout.contiguous(3, 0));
        s.forEachLaunch(piece -> {
            throw new AssertionError("launched " + piece);
        });
    }

    @Test
    void packedStructMatchesTheCudaLayout() {
        int[] shape = {3, 4};
        Strided s = Strided.of(shape, new Layout(shape, new long[] {1, 3}, 5), Layout.contiguous(shape));
        MemorySegment seg = MemorySegment.ofArray(new byte[Strided.BYTES + 8]);
        s.writeTo(seg, 8);
        assertEquals(2, seg.get(ValueLayout.JAVA_INT_UNALIGNED, 8));             // rank
        assertEquals(3, seg.get(ValueLayout.JAVA_INT_UNALIGNED, 8 + 4));          // dims[0]
        assertEquals(4, seg.get(ValueLayout.JAVA_INT_UNALIGNED, 8 + 8));          // dims[1]
        assertEquals(1, seg.get(ValueLayout.JAVA_INT_UNALIGNED, 8 + 36));         // narrow
        assertEquals(1, seg.get(ValueLayout.JAVA_LONG_UNALIGNED, 8 + 40));        // strides[0][0]
        assertEquals(3, seg.get(ValueLayout.JAVA_LONG_UNALIGNED, 8 + 48));        // strides[0][1]
        assertEquals(4, seg.get(ValueLayout.JAVA_LONG_UNALIGNED, 8 + 40 + 64));   // strides[1][0]
        assertEquals(5, seg.get(ValueLayout.JAVA_LONG_UNALIGNED, 8 + 296));       // offsets[0]
        assertEquals(0, seg.get(ValueLayout.JAVA_LONG_UNALIGNED, 8 + 304));       // offsets[1]
    }
}
