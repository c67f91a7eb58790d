package dev.anvil.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anvil.Backends;
import dev.anvil.DType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LayoutTest {

    @Test
    void stridedIterMergesContiguousDimsAndVisitsRowMajorOrder() {
        Layout dense = Layout.contiguous(2, 3, 4);
        StridedIter it = new StridedIter(dense.shape(), dense);
        assertEquals(24, it.inner());
        assertEquals(1, it.runs());
        Layout t = new Layout(new int[] {3, 2}, new long[] {1, 3}, 5); // transpose of a [2, 3] at offset 5
        StridedIter it2 = new StridedIter(t.shape(), t);
        List<Long> seen = new ArrayList<>();
        while (it2.hasNext()) {
            it2.next();
            for (int i = 0; i < it2.inner(); i++) {
                seen.add(it2.offset(0) + i * it2.innerStride(0));
            }
        }
        assertEquals(List.of(5L, 8L, 6L, 9L, 7L, 10L), seen);
        StridedIter it3 = new StridedIter(t.shape(), t);
        it3.seek(2);
        assertEquals(7, it3.offset(0));
    }

    @Test
    void viewsOutsideTheirStorageAreRejectedBeforeAnyKernelRuns() {
        Storage s = Backends.get("reference").allocate(4 * 10, false);
        assertThrows(IllegalArgumentException.class, () -> new View(s, DType.F32, Layout.contiguous(11)));
        assertThrows(IllegalArgumentException.class, () -> new View(s, DType.F32, new Layout(new int[] {2, 5}, new long[] {6, 1}, 0)));
        new View(s, DType.F32, new Layout(new int[] {0, 50}, new long[] {50, 1}, 0));
        assertThrows(IllegalArgumentException.class, () -> new Layout(new int[] {2}, new long[] {-1}, 0));
        assertTrue(new Layout(new int[] {1, 4}, new long[] {99, 1}, 0).isContiguous());
    }

    @Test
    void gemmSpecRejectsOperandsThatReachOutsideStorage() {
        Storage a = Backends.get("reference").allocate(4 * 6, false);
        Storage c = Backends.get("reference").allocate(4 * 4, false);
        new GemmSpec(DType.F32, 1, 2, 2, 3, 1, 0, a, 0, 3, 0, false, a, 0, 2, 0, false, c, 0, 2, 0);
        var e = assertThrows(IllegalArgumentException.class,
                () -> new GemmSpec(DType.F32, 2, 2, 2, 3, 1, 0, a, 0, 3, 6, false, a, 0, 2, 0, false, c, 0, 2, 4));
        assertTrue(e.getMessage().contains("gemm: A"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new GemmSpec(DType.F32, 1, 2, 2, 3, 1, 0, a, 0, 2, 0, false, a, 0, 2, 0, false, c, 0, 2, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new GemmSpec(DType.I32, 1, 2, 2, 3, 1, 0, a, 0, 3, 0, false, a, 0, 2, 0, false, c, 0, 2, 0));
    }

    @Test
    void erfMatchesKnownValues() {
        assertEquals(0.8427007929497149, ScalarMath.erf(1), 1e-15);
        assertEquals(-0.9953222650189527, ScalarMath.erf(-2), 1e-15);
        assertEquals(0.9999779095030014, ScalarMath.erf(3), 1e-15);
        assertEquals(0.9999999845827421, ScalarMath.erf(4), 1e-15);
        assertEquals(0.8413447460685429 * 1.0, ScalarMath.gelu(1), 1e-15);
        // the far tail: gelu(-7) = -7 * Phi(-7) = -7 * 1.279812543885835e-12, where 1 + erf would cancel
        assertEquals(-7 * 1.279812543885835e-12, ScalarMath.gelu(-7), 1e-12 * 7 * 1.279812543885835e-12);
        assertEquals(1.5374597944280349e-12, ScalarMath.erfc(5), 1e-26);
    }
}
