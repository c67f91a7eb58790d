package dev.anvil.backend.cuda;

import dev.anvil.spi.Backend;
import dev.anvil.spi.Storage;

/** Device memory of the CUDA backend: a block of the caching allocator, addressed by a raw device pointer. */
final class CudaStorage extends Storage {
    private final long address;
    private final Runnable freer;

    /**
     * @param address the device pointer, valid for {@code byteSize} bytes
     * @param freer hands the block back to the allocator; must not refer to this storage
     */
    CudaStorage(Backend backend, long address, long byteSize, Runnable freer) {
        super(backend, byteSize);
        this.address = address;
        this.freer = freer;
    }

    /** The device pointer of byte 0. */
    long address() {
        return address;
    }

    @Override
    protected Runnable freer() {
        return freer;
    }
}
