package dev.anvil.cli.serve;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * One version of a model as the server holds it: its state (TensorFlow Serving's START, LOADING, AVAILABLE,
 * UNLOADING, END), the loaded model and its batcher, the load error if any, and the requests in flight, so an
 * unloading version is closed only after its last request is answered.
 */
final class ServedVersion {
    /** TensorFlow Serving's version states. */
    enum State { START, LOADING, AVAILABLE, UNLOADING, END }

    final long version;
    private volatile State state = State.START;
    private volatile String error = "";
    private volatile Signature signature;
    private volatile Batcher batcher;
    private final AtomicInteger inFlight = new AtomicInteger();

    ServedVersion(long version) {
        this.version = version;
    }

    State state() {
        return state;
    }

    void state(State s) {
        state = s;
    }

    String error() {
        return error;
    }

    boolean failed() {
        return !error.isEmpty();
    }

    void failed(String message) {
        error = message == null || message.isBlank() ? "load failed" : message;
        state = State.END;
    }

    void loaded(Signature sig, Batcher b) {
        signature = sig;
        batcher = b;
    }

    Signature signature() {
        return signature;
    }

    Batcher batcher() {
        return batcher;
    }

    /**
     * Counts a request in; false when the version is no longer AVAILABLE (the caller resolves again). The
     * count is raised before the state is read and the unloader sets the state before it reads the count, so
     * either the request sees UNLOADING or the unloader sees the request.
     */
    boolean acquire() {
        inFlight.incrementAndGet();
        if (state != State.AVAILABLE) {
            inFlight.decrementAndGet();
            return false;
        }
        return true;
    }

    void release() {
        inFlight.decrementAndGet();
    }

    /** Marks UNLOADING, waits for the requests in flight (at most {@code timeoutMillis}), then frees the model: END. */
    void unload(long timeoutMillis) {
        state = State.UNLOADING;
        long end = System.nanoTime() + timeoutMillis * 1_000_000;
        while (inFlight.get() > 0 && System.nanoTime() < end) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        Batcher b = batcher;
        if (b != null) {
            b.close();
        }
        batcher = null; // the batcher held the model: its weights are freed by the garbage collector
        state = State.END;
    }
}
