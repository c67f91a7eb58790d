package dev.anvil.backend.cuda;

/** A GPU as the ops see it: its runtime, the caching allocator over it, and grid sizing. */
final class Device {
    final DeviceRuntime rt;
    final DeviceAllocator allocator;

    Device(DeviceRuntime rt) {
        this.rt = rt;
        this.allocator = new DeviceAllocator(rt.memory());
    }

    /** Blocks for a grid-stride loop over {@code n} elements with {@code threads} per block. */
    long blocks(long n, int threads) {
        long needed = (n + threads - 1) / threads;
        return Math.max(1, Math.min(needed, (long) rt.multiprocessors() * 32));
    }

    /** Launches {@code kernel} with the arguments gathered in {@code args}. */
    void launch(Kernel kernel, long blocks, int threads, Launch args) {
        if (blocks > 0) {
            rt.launch(kernel, blocks, threads, args.table());
        }
    }
}
