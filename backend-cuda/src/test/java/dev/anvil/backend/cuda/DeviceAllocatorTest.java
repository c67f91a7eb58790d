package dev.anvil.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Runs everywhere: the caching logic over a fake device. */
class DeviceAllocatorTest {

    /** A fake device with a byte budget, counting calls. */
    static final class FakeDevice implements DeviceAllocator.Raw {
        long budget;
        long next = 1L << 40;
        int mallocs;
        int frees;
        int syncs;
        final java.util.Map<Long, Long> owned = new java.util.HashMap<>();

        FakeDevice(long budget) {
            this.budget = budget;
        }

        @Override
        public long malloc(long bytes) {
            if (bytes > budget) {
                return 0;
            }
            budget -= bytes;
            mallocs++;
            long a = next;
            next += bytes + 4096;
            owned.put(a, bytes);
            return a;
        }

        @Override
        public void free(long address) {
            Long size = owned.remove(address);
            assertTrue(size != null, "freed an address it did not allocate");
            budget += size;
            frees++;
        }

        @Override
        public void synchronize() {
            syncs++;
        }
    }

    @Test
    void sizeClassesAreAlignedAndWasteAtMostAQuarter() {
        for (long b = 1; b < 1 << 22; b = b * 3 / 2 + 1) {
            long c = DeviceAllocator.sizeClass(b);
            assertTrue(c >= b && c % DeviceAllocator.ALIGNMENT == 0, b + " -> " + c);
            assertTrue(c <= Math.max(DeviceAllocator.ALIGNMENT, b * 1.25 + DeviceAllocator.ALIGNMENT), b + " -> " + c);
        }
    }

    @Test
    void aWarmLoopReusesBlocksWithoutCallingTheDevice() {
        FakeDevice dev = new FakeDevice(1L << 34);
        DeviceAllocator a = new DeviceAllocator(dev);
        long[] sizes = {4, 1000, 65536, 3 << 20, 100 << 20};
        for (int step = 0; step < 3; step++) {
            var blocks = new java.util.ArrayList<DeviceAllocator.Block>();
            for (long s : sizes) {
                blocks.add(a.allocate(s));
            }
            blocks.forEach(b -> b.freer().run());
        }
        int after = dev.mallocs;
        for (int step = 0; step < 100; step++) {
            var blocks = new java.util.ArrayList<DeviceAllocator.Block>();
            for (long s : sizes) {
                blocks.add(a.allocate(s));
            }
            blocks.forEach(b -> b.freer().run());
        }
        assertEquals(after, dev.mallocs);
        assertEquals(0, a.stats().liveBytes());
        long classes = 0;
        for (long s : sizes) {
            classes += DeviceAllocator.sizeClass(s);
        }
        assertEquals(classes, a.stats().cachedBytes());
        assertTrue(a.stats().peakBytes() >= 100 << 20);
        assertEquals(15 + 500, a.stats().allocations());
    }

    @Test
    void liveBlocksAreDistinctAndAligned() {
        DeviceAllocator a = new DeviceAllocator(new FakeDevice(1L << 30));
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            DeviceAllocator.Block b = a.allocate(i * 37L);
            assertTrue(seen.add(b.address()));
            assertEquals(0, b.address() % DeviceAllocator.ALIGNMENT);
        }
        assertEquals(200, a.stats().allocations());
    }

    @Test
    void emptyCacheReturnsLargeBlocksAfterSynchronising() {
        FakeDevice dev = new FakeDevice(1L << 34);
        DeviceAllocator a = new DeviceAllocator(dev);
        DeviceAllocator.Block big = a.allocate(64L << 20);
        DeviceAllocator.Block small = a.allocate(1000);
        big.freer().run();
        small.freer().run();
        long reserved = a.stats().reservedBytes();
        a.emptyCache();
        assertEquals(1, dev.frees);
        assertEquals(1, dev.syncs);
        assertEquals(reserved - (64L << 20), a.stats().reservedBytes());
        assertNotEquals(0, a.stats().cachedBytes()); // the small block stays cached in its slab
    }

    @Test
    void outOfMemoryFirstEmptiesTheCacheThenExplains() {
        FakeDevice dev = new FakeDevice(300L << 20);
        DeviceAllocator a = new DeviceAllocator(dev);
        a.allocate(200L << 20).freer().run(); // cached, not live
        DeviceAllocator.Block b = a.allocate(250L << 20); // needs the cached 200 MiB back first
        assertEquals(1, dev.frees);
        OutOfMemoryError e = assertThrows(OutOfMemoryError.class, () -> a.allocate(200L << 20));
        assertTrue(e.getMessage().contains("out of device memory") && e.getMessage().contains("live"), e.getMessage());
        b.freer().run();
    }
}
