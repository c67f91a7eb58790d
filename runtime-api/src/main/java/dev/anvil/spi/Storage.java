package dev.anvil.spi;

import java.lang.ref.Cleaner;

/**
 * Memory owned by one backend: a host segment or a device pointer. Tensors are views over a storage.
 *
 * <p>A storage is released exactly once, by the {@code MemoryScope} it was allocated in, or, for storage
 * that outlives every scope, by the garbage collector. After release it is dead: every op checks its
 * operands with {@link #checkAlive(String)} first, so a use after close is an exception, never a read of
 * memory that has been handed to someone else.
 */
public abstract class Storage {
    private static final Cleaner CLEANER = Cleaner.create();

    private final Backend backend;
    private final long byteSize;
    private volatile boolean alive = true;
    private volatile String releasedBy;
    private Cleaner.Cleanable cleanable;

    protected Storage(Backend backend, long byteSize) {
        this.backend = backend;
        this.byteSize = byteSize;
    }

    /** The backend that allocated this storage and runs kernels on it. */
    public final Backend backend() {
        return backend;
    }

    /** Capacity in bytes. */
    public final long byteSize() {
        return byteSize;
    }

    /** False once released. */
    public final boolean isAlive() {
        return alive;
    }

    /**
     * Throws {@link IllegalStateException} when this storage has been released.
     *
     * @param what names the tensor for the message, e.g. {@code "add: operand F32[2, 3]"}
     */
    public final void checkAlive(String what) {
        if (!alive) {
            throw new IllegalStateException(what + " was used after its memory was released ("
                    + releasedBy + "); keep it with scope.keep(tensor) or copy it out before the scope closes");
        }
    }

    /**
     * A task that frees the underlying memory. It must not refer to this object, because the garbage
     * collector runs it for storages nobody released.
     */
    protected abstract Runnable freer();

    /** Frees the memory now (idempotent). {@code why} says who released it, for later error messages. */
    public final synchronized void release(String why) {
        if (!alive) {
            return;
        }
        alive = false;
        releasedBy = why;
        if (cleanable != null) {
            cleanable.clean();
        } else {
            freer().run();
        }
    }

    /**
     * Hands this storage to the garbage collector: it is freed when no longer reachable (the root scope's
     * safety net), or earlier by {@link #release(String)}.
     */
    public final synchronized void releaseWhenUnreachable() {
        if (alive && cleanable == null) {
            cleanable = CLEANER.register(this, freer());
        }
    }
}
