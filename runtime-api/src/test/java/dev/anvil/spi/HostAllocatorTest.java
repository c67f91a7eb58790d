package dev.anvil.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class HostAllocatorTest {

    @Test
    void sizeClassesWasteAtMostAQuarter() {
        assertEquals(64, HostAllocator.sizeClass(1));
        assertEquals(256, HostAllocator.sizeClass(200));
        for (long b = 257; b < 1 << 22; b = b * 3 / 2 + 1) {
            long c = HostAllocator.sizeClass(b);
            assertTrue(c >= b && c <= b * 1.25 + 64, b + " -> " + c);
        }
    }

    @Test
    void sizeClassesMapToDistinctIncreasingSlots() {
        int last = -1;
        for (long b = 1; b < 1L << 36; b = b < 4096 ? b + 1 : b * 9 / 8) {
            long c = HostAllocator.sizeClass(b);
            int i = HostAllocator.classIndex(c);
            assertTrue(i >= last && i < 200, b + " -> class " + c + " -> slot " + i);
            if (i == last) {
                assertEquals(c, HostAllocator.sizeClass(b - 1 < 1 ? 1 : b - 1) == c ? c : -1, "one slot, one class");
            }
            last = i;
        }
    }

    @Test
    void blocksAreAlignedExactlySizedAndReused() {
        HostAllocator a = new HostAllocator();
        HostAllocator.Allocation x = a.allocate(1000, false);
        assertEquals(1000, x.segment().byteSize());
        assertEquals(0, x.segment().address() % HostAllocator.ALIGNMENT);
        long address = x.segment().address();
        x.freer().run();
        assertEquals(0, a.stats().liveBytes());
        HostAllocator.Allocation y = a.allocate(1010, false);
        assertEquals(address, y.segment().address(), "a freed block of the same class is reused");
        y.segment().set(ValueLayout.JAVA_BYTE, 5, (byte) 7);
        y.freer().run();
        HostAllocator.Allocation z = a.allocate(1000, true);
        assertEquals(0, z.segment().get(ValueLayout.JAVA_BYTE, 5), "zeroed on request");
        assertThrows(IndexOutOfBoundsException.class, () -> z.segment().get(ValueLayout.JAVA_BYTE, 1000));
    }

    @Test
    void largeBlocksGoBackToTheSystemOnEmptyCache() {
        HostAllocator a = new HostAllocator();
        HostAllocator.Allocation big = a.allocate(8 << 20, false);
        assertTrue(a.stats().reservedBytes() >= 8 << 20);
        assertEquals(a.stats().peakBytes(), a.stats().liveBytes());
        big.freer().run();
        assertTrue(a.stats().cachedBytes() >= 8 << 20);
        a.emptyCache();
        assertEquals(0, a.stats().cachedBytes());
        assertEquals(0, a.stats().reservedBytes());
    }
}
