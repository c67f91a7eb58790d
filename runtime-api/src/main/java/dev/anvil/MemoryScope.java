package dev.anvil;

import dev.anvil.spi.Storage;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A region of explicit tensor lifetime: every storage allocated by this thread while the scope is open is
 * freed when it closes, except what {@link #keep(Tensor)} hands to the enclosing scope. Freeing returns
 * the memory to the backend's caching allocator; it costs no system call.
 *
 * <pre>{@code
 * Tensor kept;
 * try (var scope = MemoryScope.open("step")) {
 *     Tensor h = x.matmul(w).relu();      // freed at the end of the block
 *     kept = scope.keep(h.sum());         // survives, owned by the enclosing scope
 * }
 * }</pre>
 *
 * <p>Scopes are per thread and nest; closing one that is not the innermost open scope of its thread is an
 * error. Tensors created outside any scope belong to the root scope: the garbage collector frees them
 * when they become unreachable (a safety net, not the plan, since it cannot see native memory pressure).
 */
public final class MemoryScope implements AutoCloseable {
    private static final ThreadLocal<ArrayDeque<MemoryScope>> STACK = ThreadLocal.withInitial(ArrayDeque::new);
    private static final AtomicLong IDS = new AtomicLong();

    private final String name;
    private final Thread owner;
    // a list, not a set: registering is the hot path (every op's output); keep() searches from the end
    private final java.util.ArrayList<Storage> storages = new java.util.ArrayList<>();
    private boolean closed;

    private MemoryScope(String name) {
        this.name = name;
        this.owner = Thread.currentThread();
    }

    /** Opens an anonymous scope on this thread. */
    public static MemoryScope open() {
        return open("scope#" + IDS.incrementAndGet());
    }

    /** Opens a named scope (the name appears in use-after-close errors). */
    public static MemoryScope open(String name) {
        MemoryScope s = new MemoryScope(name);
        STACK.get().push(s);
        return s;
    }

    /** The innermost open scope of this thread, or null at the root. */
    public static MemoryScope current() {
        return STACK.get().peek();
    }

    /** The scope's name. */
    public String name() {
        return name;
    }

    /** Number of storages this scope will free when it closes. */
    public synchronized int size() {
        return storages.size();
    }

    private static final ThreadLocal<boolean[]> AT_ROOT = ThreadLocal.withInitial(() -> new boolean[1]);

    /**
     * Runs {@code body} with every allocation going to the root scope, whatever scopes are open: for state
     * that outlives a step, such as gradient buffers and optimizer moments.
     */
    public static <T> T atRoot(java.util.function.Supplier<T> body) {
        boolean[] flag = AT_ROOT.get();
        boolean previous = flag[0];
        flag[0] = true;
        try {
            return body.get();
        } finally {
            flag[0] = previous;
        }
    }

    /** Puts a new storage under the current scope of this thread (or the root scope). Called by the API. */
    static void register(Storage storage) {
        MemoryScope s = AT_ROOT.get()[0] ? null : current();
        if (s == null) {
            storage.releaseWhenUnreachable();
        } else {
            s.add(storage);
        }
    }

    private synchronized void add(Storage storage) {
        if (closed) {
            throw new IllegalStateException("memory scope '" + name + "' is closed");
        }
        storages.add(storage);
    }

    /**
     * Hands {@code t}'s storage (and so every view of it) to the enclosing scope, or to the root scope when
     * this is the outermost one. Returns {@code t} for chaining.
     */
    public <T extends Tensor> T keep(T t) {
        Storage s = t.storage();
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("keep: memory scope '" + name + "' is already closed");
            }
            int at = -1;
            for (int i = storages.size() - 1; i >= 0; i--) {
                if (storages.get(i) == s) {
                    at = i;
                    break;
                }
            }
            if (at < 0) {
                return t; // already owned by an enclosing scope (or the root): nothing to hand over
            }
            storages.remove(at);
        }
        MemoryScope parent = parentOf(this);
        if (parent == null) {
            s.releaseWhenUnreachable();
        } else {
            parent.add(s);
        }
        return t;
    }

    private MemoryScope parentOf(MemoryScope scope) {
        var it = STACK.get().iterator(); // innermost first
        while (it.hasNext()) {
            if (it.next() == scope) {
                return it.hasNext() ? it.next() : null;
            }
        }
        return null;
    }

    /** Frees every storage of this scope not kept. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("memory scope '" + name + "' belongs to thread " + owner.getName()
                    + " and must be closed there");
        }
        ArrayDeque<MemoryScope> stack = STACK.get();
        if (stack.peek() != this) {
            throw new IllegalStateException("memory scope '" + name + "' closed while an inner scope '"
                    + (stack.peek() == null ? "?" : stack.peek().name) + "' is still open; close scopes innermost first");
        }
        stack.pop();
        Storage[] toFree;
        synchronized (this) {
            closed = true;
            toFree = storages.toArray(new Storage[0]);
            storages.clear();
        }
        String why = "memory scope '" + name + "' closed";
        for (Storage s : toFree) {
            s.release(why);
        }
    }
}
