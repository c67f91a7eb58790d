package dev.anvil.backend.cuda;

import dev.anvil.spi.MemoryStats;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * A caching allocator of device memory, like PyTorch's and like runtime-api's HostAllocator: a training
 * step that frees and allocates the same sizes again calls {@code cudaMalloc} only while warming up.
 *
 * <p>Requests are rounded to size classes (multiples of 512 bytes up to 2 KiB, then four classes per power
 * of two, so at most 25% is wasted). Blocks up to 1 MiB are carved from 8 MiB slabs that stay for the life
 * of the process; larger blocks get their own {@code cudaMalloc} so {@link #emptyCache()} can return them.
 * A released block goes to its class's free list. All kernels run on one stream, in issue order, so a block
 * handed out again can be written at once: every earlier use of it was enqueued before.
 *
 * <p>Freeing only touches Java lists (the garbage collector's cleaner thread may do it); only allocating
 * and {@link #emptyCache()} call into CUDA.
 */
final class DeviceAllocator {
    /** Alignment and smallest size class: a multiple of cudaMalloc's 256 and of every element type. */
    static final long ALIGNMENT = 512;
    static final long SMALL_LIMIT = 1L << 20;
    static final long SLAB_SIZE = 8L << 20;

    /** The system allocator under the cache: cudaMalloc/cudaFree, or a fake in tests. */
    interface Raw {
        /** A block of {@code bytes}, or 0 when the device is out of memory. */
        long malloc(long bytes);

        void free(long address);

        /** Waits until no enqueued work can touch memory about to be freed. */
        void synchronize();
    }

    /** A device block and the task that hands it back (it refers to no storage). */
    record Block(long address, long size, Runnable freer) {
    }

    private final Raw raw;
    private final Map<Long, ArrayDeque<Long>> free = new HashMap<>();
    private long slab;
    private long slabUsed = SLAB_SIZE;

    private long live;
    private long peak;
    private long cached;
    private long reserved;
    private long allocations;
    private long systemAllocations;

    DeviceAllocator(Raw raw) {
        this.raw = raw;
    }

    /** The size class {@code bytes} is rounded up to. */
    static long sizeClass(long bytes) {
        if (bytes <= 4 * ALIGNMENT) {
            return Math.max(ALIGNMENT, (bytes + ALIGNMENT - 1) & -ALIGNMENT);
        }
        long step = Long.highestOneBit(bytes - 1) / 4;
        return (bytes + step - 1) / step * step;
    }

    /** A block of at least {@code bytes} bytes (contents undefined). */
    synchronized Block allocate(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("cuda: negative allocation " + bytes);
        }
        long size = sizeClass(Math.max(bytes, 1));
        ArrayDeque<Long> list = free.get(size);
        Long address = list == null ? null : list.pollFirst();
        if (address != null) {
            cached -= size;
        } else {
            address = fresh(size);
        }
        allocations++;
        live += size;
        peak = Math.max(peak, live);
        long a = address;
        return new Block(a, size, () -> giveBack(a, size));
    }

    private long fresh(long size) {
        long a = carve(size);
        if (a == 0) {
            emptyCacheLocked();
            a = carve(size);
        }
        if (a == 0) {
            throw new OutOfMemoryError("cuda: out of device memory allocating " + size + " bytes (live " + live
                    + ", cached " + cached + ", reserved " + reserved + "); free tensors (close their MemoryScope) or use smaller batches");
        }
        return a;
    }

    private long carve(long size) {
        if (size > SMALL_LIMIT) {
            long a = raw.malloc(size);
            if (a != 0) {
                reserved += size;
                systemAllocations++;
            }
            return a;
        }
        if (SLAB_SIZE - slabUsed < size) {
            long s = raw.malloc(SLAB_SIZE);
            if (s == 0) {
                return 0;
            }
            systemAllocations++;
            reserved += SLAB_SIZE;
            slab = s;
            slabUsed = 0;
        }
        long a = slab + slabUsed;
        slabUsed += size;
        return a;
    }

    private synchronized void giveBack(long address, long size) {
        live -= size;
        cached += size;
        free.computeIfAbsent(size, k -> new ArrayDeque<>()).addFirst(address);
    }

    /** Returns cached large blocks to the device (small slabs stay; they are reused by size class). */
    synchronized void emptyCache() {
        emptyCacheLocked();
    }

    private void emptyCacheLocked() {
        boolean synced = false;
        for (var e : free.entrySet()) {
            long size = e.getKey();
            if (size <= SMALL_LIMIT || e.getValue().isEmpty()) {
                continue;
            }
            if (!synced) {
                raw.synchronize();
                synced = true;
            }
            for (long a : e.getValue()) {
                raw.free(a);
                reserved -= size;
                cached -= size;
            }
            e.getValue().clear();
        }
    }

    synchronized MemoryStats stats() {
        return new MemoryStats(live, peak, cached, reserved, allocations);
    }

    /** How many times the system allocator was called (tests check that a warm loop calls it no more). */
    synchronized long systemAllocations() {
        return systemAllocations;
    }

    synchronized void resetPeak() {
        peak = live;
    }
}
