package dev.anvil.spi;

import dev.anvil.DType;

/**
 * What a kernel receives for each operand: a storage, the element type and a layout. The constructor
 * checks that every element the layout can reach lies inside the storage, so a kernel never indexes
 * outside its memory whatever shape or stride bug sits above it.
 */
public record View(Storage storage, DType dtype, Layout layout) {

    public View {
        long max = layout.maxIndex();
        if (max >= 0 && (max + 1) * dtype.byteSize() > storage.byteSize()) {
            throw new IllegalArgumentException("view " + layout + " of " + dtype + " reaches element " + max
                    + " but its storage holds " + storage.byteSize() / dtype.byteSize() + " elements");
        }
    }

    public int[] shape() {
        return layout.shape();
    }

    public long numel() {
        return layout.numel();
    }

    public boolean isContiguous() {
        return layout.isContiguous();
    }

    /** The host segment of this view's storage; fails for device storage. */
    public java.lang.foreign.MemorySegment segment() {
        if (storage instanceof HostStorage h) {
            return h.segment();
        }
        throw new IllegalArgumentException("expected host memory, got storage of backend " + storage.backend().name());
    }

    /** Element offset of the first element. */
    public long offset() {
        return layout.offset();
    }
}
