package dev.anvil.spi;

/**
 * A backend's memory counters, in bytes.
 *
 * @param liveBytes bytes handed out and not yet released
 * @param peakBytes the highest {@code liveBytes} seen since start (or since {@code resetPeak})
 * @param cachedBytes bytes kept by the caching allocator for reuse (not live, not returned to the system)
 * @param reservedBytes bytes taken from the system in total (live + cached)
 * @param allocations number of allocations served since start
 */
public record MemoryStats(long liveBytes, long peakBytes, long cachedBytes, long reservedBytes, long allocations) {
}
