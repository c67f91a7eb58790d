package dev.anvil.backend.cuda;

import dev.anvil.spi.Layout;
import dev.anvil.spi.Storage;
import dev.anvil.spi.View;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Device addresses of views, and the small device error buffer kernels report bad indices through. */
final class Operands {
    private Operands() {
    }

    /** The device pointer of byte 0 of {@code s}. */
    static long base(Storage s) {
        if (s instanceof CudaStorage c) {
            return c.address();
        }
        throw new IllegalArgumentException("cuda: expected device memory of backend cuda, got storage of backend "
                + s.backend().name() + "; move the tensor with tensor.to(Backends.get(\"cuda\"))");
    }

    static long base(View v) {
        return base(v.storage());
    }

    /** The device pointer of the view's first element. */
    static long first(View v) {
        return base(v) + v.offset() * v.dtype().byteSize();
    }

    /** {@code x}'s strides walked over {@code shape} with stride 0 on {@code axis} (gather/scatter's third operand). */
    static Layout alongAxis(View x, int axis, int[] shape) {
        long[] strides = x.layout().strides();
        strides[axis] = 0;
        return new Layout(shape, strides, x.offset());
    }

    /** The smallest power of two at least {@code n}, between 32 and {@code max}. */
    static int threadsFor(long n, int max) {
        int t = 32;
        while (t < max && t < n) {
            t <<= 1;
        }
        return t;
    }

    /** A kernel's {code, value} error report: allocated zeroed, read back (which waits) and released. */
    static final class ErrorReport implements AutoCloseable {
        private final Device dev;
        private final DeviceAllocator.Block block;

        ErrorReport(Device dev) {
            this.dev = dev;
            this.block = dev.allocator.allocate(16);
            dev.rt.memset(block.address(), 0, 16);
        }

        long address() {
            return block.address();
        }

        /** {code, value}; code 0 when the kernel found nothing wrong. */
        long[] read() {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment host = arena.allocate(16, 8);
                dev.rt.toHost(block.address(), host, 0, 16);
                return new long[] {host.get(ValueLayout.JAVA_LONG, 0), host.get(ValueLayout.JAVA_LONG, 8)};
            }
        }

        @Override
        public void close() {
            block.freer().run();
        }
    }
}
