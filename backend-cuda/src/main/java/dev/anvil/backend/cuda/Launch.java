package dev.anvil.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A kernel's arguments, written into a per-thread native buffer that {@code cuLaunchKernel} reads: a table
 * of pointers followed by the values they point at. The driver copies the arguments at launch, so the
 * buffer is reused at once, and a launch allocates nothing native.
 *
 * <pre>{@code
 * dev.launch(Kernel.UNARY_F32, blocks, 256, Launch.args().i32(op).i64(n).strided(s).ptr(x).ptr(out));
 * }</pre>
 */
final class Launch {
    private static final int MAX_ARGS = 32;
    private static final long TABLE_BYTES = 8L * MAX_ARGS;
    private static final long BUFFER_BYTES = 8192;
    private static final ThreadLocal<Launch> LOCAL = ThreadLocal.withInitial(Launch::new);

    private final MemorySegment buffer = Arena.ofAuto().allocate(BUFFER_BYTES, 16);
    private int count;
    private long at;

    private Launch() {
    }

    /** This thread's argument buffer, emptied. */
    static Launch args() {
        Launch l = LOCAL.get();
        l.count = 0;
        l.at = TABLE_BYTES;
        return l;
    }

    private long slot(long bytes) {
        if (count == MAX_ARGS || at + bytes > BUFFER_BYTES) {
            throw new IllegalStateException("cuda: too many kernel arguments");
        }
        long where = at;
        buffer.set(ValueLayout.JAVA_LONG, 8L * count, buffer.address() + where);
        count++;
        at = (at + bytes + 15) & ~15L;
        return where;
    }

    Launch i32(int v) {
        buffer.set(ValueLayout.JAVA_INT, slot(4), v);
        return this;
    }

    Launch i64(long v) {
        buffer.set(ValueLayout.JAVA_LONG, slot(8), v);
        return this;
    }

    /** A device pointer (or any 64-bit address). */
    Launch ptr(long address) {
        return i64(address);
    }

    Launch strided(Strided s) {
        s.writeTo(buffer, slot(Strided.BYTES));
        return this;
    }

    /** A struct of ints passed by value (e.g. the Conv geometry). */
    Launch ints(int... values) {
        long where = slot(4L * values.length);
        for (int i = 0; i < values.length; i++) {
            buffer.set(ValueLayout.JAVA_INT, where + 4L * i, values[i]);
        }
        return this;
    }

    /** The pointer table ({@code void**}) cuLaunchKernel reads. */
    MemorySegment table() {
        return buffer;
    }
}
