package dev.anvil.cli.serve;

/**
 * Dynamic batching of one model: on or off, the largest batch, how long the first request of a batch may wait
 * for others, the batch threads, and the queue bound beyond which requests are refused (429).
 *
 * @param enabled gather concurrent requests into one forward pass
 * @param maxBatch most instances in one forward pass
 * @param timeoutMicros longest wait of a batch's first request for others
 * @param threads batch threads per version
 * @param maxQueue most requests waiting (or, with batching off, running) per version
 */
public record BatchSettings(boolean enabled, int maxBatch, long timeoutMicros, int threads, int maxQueue) {
    /** Checks the ranges; the messages name the command-line flag. */
    public BatchSettings {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("--max-batch-size must be at least 1, got " + maxBatch);
        }
        if (timeoutMicros < 0 || timeoutMicros > 10_000_000) {
            throw new IllegalArgumentException("--batch-timeout-micros must be between 0 and 10000000, got " + timeoutMicros);
        }
        if (threads < 1 || threads > 256) {
            throw new IllegalArgumentException("--batch-threads must be between 1 and 256, got " + threads);
        }
        if (maxQueue < 1) {
            throw new IllegalArgumentException("--max-queue must be at least 1, got " + maxQueue);
        }
    }
}
