package dev.anvil.spi;

/**
 * What a backend runs on, as {@code anvil info} shows it.
 *
 * @param name e.g. {@code "AMD EPYC (2 cores, AVX2 256-bit)"} or {@code "NVIDIA H200"}
 * @param cores CPU cores used, or streaming multiprocessors on a GPU
 * @param memoryBytes memory available to the backend
 * @param vectorBits SIMD register width used by the kernels (0 when not applicable)
 * @param peakGflops estimated F32 peak, from cores, clock, lanes and FMA units (0 when unknown)
 * @param details free text: library versions, kernel names, thread counts
 */
public record DeviceInfo(String name, int cores, long memoryBytes, int vectorBits, double peakGflops, String details) {
}
