package dev.anvil.spi;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A caching allocator of 64-byte-aligned native host memory, as the design asks: scopes open and close
 * every training step, and neither a confined arena (unreadable by pool threads) nor a shared one per
 * scope (a handshake with every thread on close) is cheap enough for that.
 *
 * <p>Requests are rounded to size classes (multiples of 64 bytes up to 256, then four classes per
 * power of two, so at most 25% is wasted). Small blocks are carved from 4 MiB slabs of one long-lived
 * shared arena; blocks over 1 MiB get their own shared arena so {@link #emptyCache()} can give them back.
 * A released block goes to its class's free list: no system call in steady state.
 */
public final class HostAllocator {
    /** Alignment of every block: a cache line, and the widest SIMD register. */
    public static final long ALIGNMENT = 64;
    private static final long SMALL_LIMIT = 1L << 20;
    private static final long SLAB_SIZE = 4L << 20;

    private record Block(MemorySegment segment, Arena ownArena) {
    }

    private final Arena slabArena = Arena.ofShared();
    // free lists by size-class index (see classIndex): an array, not a map, since this is every op's path
    private final List<ArrayDeque<Block>> free = new ArrayList<>(java.util.Collections.nCopies(200, null));
    private MemorySegment slab = MemorySegment.NULL;
    private long slabUsed;

    private final AtomicLong live = new AtomicLong();
    private final AtomicLong peak = new AtomicLong();
    private final AtomicLong cached = new AtomicLong();
    private final AtomicLong reserved = new AtomicLong();
    private final AtomicLong allocations = new AtomicLong();

    /** The size class {@code bytes} is rounded up to. */
    public static long sizeClass(long bytes) {
        if (bytes <= 256) {
            return Math.max(ALIGNMENT, (bytes + ALIGNMENT - 1) & -ALIGNMENT);
        }
        long step = Long.highestOneBit(bytes - 1) / 4;
        return (bytes + step - 1) / step * step;
    }

    /** The free-list slot of a size class: 0-3 for 64..256, then four per power of two. */
    static int classIndex(long sizeClass) {
        if (sizeClass <= 256) {
            return (int) (sizeClass / ALIGNMENT) - 1;
        }
        long p = Long.highestOneBit(sizeClass - 1);
        int k = (int) (sizeClass / (p / 4)); // 5..8
        return 4 + (Long.numberOfTrailingZeros(p) - 8) * 4 + (k - 5);
    }

    /**
     * A segment of exactly {@code bytes} bytes (zero-filled when {@code zeroed}) and the task that gives it
     * back. The task must run exactly once; {@link Storage#release} sees to that.
     */
    public Allocation allocate(long bytes, boolean zeroed) {
        if (bytes < 0) {
            throw new IllegalArgumentException("allocate: negative size " + bytes);
        }
        long size = sizeClass(Math.max(bytes, 1));
        Block block;
        synchronized (this) {
            ArrayDeque<Block> list = free.get(classIndex(size));
            block = list == null ? null : list.pollFirst();
            if (block != null) {
                cached.addAndGet(-size);
            }
        }
        if (block == null) {
            block = fresh(size);
        }
        allocations.incrementAndGet();
        long now = live.addAndGet(size);
        peak.accumulateAndGet(now, Math::max);
        MemorySegment segment = block.segment().asSlice(0, bytes);
        if (zeroed) {
            segment.fill((byte) 0);
        }
        Block b = block;
        return new Allocation(segment, () -> giveBack(b, size));
    }

    /** A segment and the task that returns it to the pool. */
    public record Allocation(MemorySegment segment, Runnable freer) {
    }

    private Block fresh(long size) {
        try {
            return carve(size);
        } catch (OutOfMemoryError e) {
            emptyCache();
            return carve(size);
        }
    }

    private Block carve(long size) {
        if (size > SMALL_LIMIT) {
            Arena own = Arena.ofShared();
            MemorySegment s = own.allocate(size, ALIGNMENT);
            reserved.addAndGet(size);
            return new Block(s, own);
        }
        synchronized (this) {
            if (slab.byteSize() - slabUsed < size) {
                slab = slabArena.allocate(SLAB_SIZE, ALIGNMENT);
                slabUsed = 0;
                reserved.addAndGet(SLAB_SIZE);
            }
            MemorySegment s = slab.asSlice(slabUsed, size);
            slabUsed += size;
            return new Block(s, null);
        }
    }

    private void giveBack(Block block, long size) {
        live.addAndGet(-size);
        synchronized (this) {
            int i = classIndex(size);
            ArrayDeque<Block> list = free.get(i);
            if (list == null) {
                list = new ArrayDeque<>();
                free.set(i, list);
            }
            list.addFirst(block);
            cached.addAndGet(size);
        }
    }

    /** Returns cached large blocks to the system (small slabs stay; they are reused by size class). */
    public void emptyCache() {
        List<Block> toClose = new ArrayList<>();
        synchronized (this) {
            for (ArrayDeque<Block> list : free) {
                if (list == null) {
                    continue;
                }
                for (var it = list.iterator(); it.hasNext(); ) {
                    Block b = it.next();
                    if (b.ownArena() != null) {
                        toClose.add(b);
                        cached.addAndGet(-b.segment().byteSize());
                        it.remove();
                    }
                }
            }
        }
        for (Block b : toClose) {
            reserved.addAndGet(-b.segment().byteSize());
            b.ownArena().close();
        }
    }

    /** Current counters. */
    public MemoryStats stats() {
        return new MemoryStats(live.get(), peak.get(), cached.get(), reserved.get(), allocations.get());
    }

    /** Starts peak tracking again from the current live bytes. */
    public void resetPeak() {
        peak.set(live.get());
    }
}
