package dev.anvil.spi;

/**
 * Base of the CPU backends: host memory from a {@link HostAllocator} of their own (so each reports its own
 * live and peak bytes), as {@link HostStorage} that every CPU backend can read without a copy.
 */
public abstract class HostBackend implements Backend {
    private final HostAllocator allocator = new HostAllocator();

    @Override
    public final MemoryStats memory() {
        return allocator.stats();
    }

    @Override
    public final void emptyCache() {
        allocator.emptyCache();
    }

    @Override
    public final boolean isHost() {
        return true;
    }

    @Override
    public final Storage allocate(long bytes, boolean zeroed) {
        HostAllocator.Allocation a = allocator.allocate(bytes, zeroed);
        return new HostStorage(this, a.segment(), a.freer());
    }
}
