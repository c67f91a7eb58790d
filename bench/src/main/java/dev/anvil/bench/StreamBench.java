package dev.anvil.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The host's memory bandwidth roof, measured as STREAM does: copy ({@code a = b}, 8 bytes per element) and triad
 * ({@code a = b + s * c}, 12 bytes per element), one JMH thread per core, each on its own native arrays of
 * {@code size} floats (64 MiB each by default: far larger than any cache, so the figure is DRAM's). Vector API
 * loops, the same instructions Anvil's kernels use. The report multiplies the work by the thread count.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Threads(Threads.MAX)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class StreamBench implements Workload {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** Which roof: {@code cpu} (this class has no other). */
    @Param({"cpu"})
    public String device;

    /** Floats per array per thread. */
    @Param({"16777216"})
    public int size;

    private Arena arena;
    private MemorySegment a;
    private MemorySegment b;
    private MemorySegment c;

    @Setup(Level.Trial)
    public void setup() {
        if (size < S.length() || size % S.length() != 0) {
            throw new IllegalArgumentException("StreamBench size must be a positive multiple of " + S.length() + ", got " + size);
        }
        arena = Arena.ofShared();
        long bytes = (long) size * Float.BYTES;
        a = arena.allocate(bytes, 64);
        b = arena.allocate(bytes, 64);
        c = arena.allocate(bytes, 64);
        // Touch every page now, so the first timed pass does not fault them in (zeros: bandwidth does not care).
        a.fill((byte) 0);
        b.fill((byte) 0);
        c.fill((byte) 0);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public MemorySegment copy() {
        long end = (long) size * Float.BYTES;
        for (long off = 0; off < end; off += S.vectorByteSize()) {
            FloatVector.fromMemorySegment(S, b, off, ByteOrder.nativeOrder()).intoMemorySegment(a, off, ByteOrder.nativeOrder());
        }
        return a;
    }

    @Benchmark
    public MemorySegment triad() {
        FloatVector s = FloatVector.broadcast(S, 3f);
        long end = (long) size * Float.BYTES;
        for (long off = 0; off < end; off += S.vectorByteSize()) {
            FloatVector vb = FloatVector.fromMemorySegment(S, b, off, ByteOrder.nativeOrder());
            FloatVector vc = FloatVector.fromMemorySegment(S, c, off, ByteOrder.nativeOrder());
            vc.fma(s, vb).intoMemorySegment(a, off, ByteOrder.nativeOrder());
        }
        return a;
    }

    @Override
    public Work work(String method) {
        return Work.bytes((method.equals("triad") ? 3.0 : 2.0) * Float.BYTES * size);
    }
}
