package dev.anvil.spi;

import java.lang.foreign.MemorySegment;

/**
 * Storage in host memory: a native, 64-byte-aligned segment readable from any thread, so CPU backends
 * (and JavaCPP libraries given its address) share it without copies.
 */
public final class HostStorage extends Storage {
    private final MemorySegment segment;
    private final Runnable freer;

    /**
     * @param segment exactly {@code byteSize} bytes, so a kernel cannot run into a neighbour's memory
     * @param freer returns the memory to its allocator; must not refer to this storage
     */
    public HostStorage(Backend backend, MemorySegment segment, Runnable freer) {
        super(backend, segment.byteSize());
        this.segment = segment;
        this.freer = freer;
    }

    /** The memory. Only valid while {@link #isAlive()}. */
    public MemorySegment segment() {
        return segment;
    }

    @Override
    protected Runnable freer() {
        return freer;
    }
}
