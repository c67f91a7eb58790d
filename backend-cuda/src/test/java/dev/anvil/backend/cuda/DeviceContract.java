package dev.anvil.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anvil.Backends;
import dev.anvil.DType;
import dev.anvil.MemoryScope;
import dev.anvil.Shape;
import dev.anvil.Tensor;
import dev.anvil.spi.Backend;
import dev.anvil.spi.BinaryOp;
import dev.anvil.spi.Layout;
import dev.anvil.spi.Storage;
import dev.anvil.spi.View;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the cuda backend promises beyond the conformance suite: allocator reuse, transfers of every type,
 * views that need several launches, two-step reductions, integer errors, narrow atomics. Run on a GPU by
 * {@link CudaDeviceTest} and on the CPU-emulated kernels by {@link EmulatedDeviceTest}.
 */
abstract class DeviceContract {
    private CudaBackend cuda;
    private final Backend reference = Backends.get("reference");

    /** The backend under test. */
    protected abstract CudaBackend backend();

    @BeforeEach
    void pick() {
        cuda = backend();
    }

    /** Steps of the warm training-like loop (fewer where GEMM is emulated in Java). */
    protected int steps() {
        return 200;
    }

    /** Runs {@code f} on both backends and compares within {@code rtol} relative + absolute. */
    protected void agree(String what, double rtol, Supplier<Tensor> f) {
        try (MemoryScope s = MemoryScope.open(what)) {
            double[] expected;
            try (var u = Backends.use(reference)) {
                expected = f.get().toDoubleArray();
            }
            Tensor t;
            try (var u = Backends.use(cuda)) {
                t = f.get();
            }
            assertEquals(cuda.name(), t.backend().name(), what);
            double[] actual = t.toDoubleArray();
            assertEquals(expected.length, actual.length, what);
            for (int i = 0; i < expected.length; i++) {
                double e = expected[i];
                double a = actual[i];
                boolean ok = Double.isNaN(e) ? Double.isNaN(a) : Math.abs(a - e) <= rtol * (1 + Math.abs(e));
                assertTrue(ok, what + ": element " + i + " expected " + e + " but was " + a);
            }
        }
    }

    @Test
    void aWarmTrainingLikeLoopCallsCudaMallocNoMoreAndKeepsLiveBytesFlat() {
        try (var u = Backends.use(cuda)) {
            Tensor w = Tensor.randn(Shape.of(256, 256), 1);
            Tensor x = Tensor.randn(Shape.of(128, 256), 2);
            for (int i = 0; i < 5; i++) {
                try (MemoryScope s = MemoryScope.open("warm")) {
                    x.matmul(w).relu().softmax(-1).sum().item();
                }
            }
            long mallocs = cuda.deviceState().allocator.systemAllocations();
            long live = cuda.memory().liveBytes();
            for (int i = 0; i < steps(); i++) {
                try (MemoryScope s = MemoryScope.open("step")) {
                    x.matmul(w).relu().softmax(-1).sum().item();
                }
            }
            assertEquals(mallocs, cuda.deviceState().allocator.systemAllocations(), "cudaMalloc calls after warm-up");
            assertEquals(live, cuda.memory().liveBytes(), "live bytes after the scoped steps");
        }
    }

    @Test
    void emptyCacheGivesLargeBlocksBack() {
        Storage s = cuda.allocate(64L << 20, true);
        s.release("test");
        long reserved = cuda.memory().reservedBytes();
        assertTrue(cuda.memory().cachedBytes() >= 64L << 20);
        cuda.emptyCache();
        assertTrue(cuda.memory().reservedBytes() <= reserved - (64L << 20), cuda.memory().toString());
    }

    @Test
    void transfersRoundTripEveryTypeAndSizeExactly() {
        Random rnd = new Random(7);
        long[] counts = {1, 3, 1023, (Staging.CHUNK * 2 + 12345) / 8};
        for (DType t : DType.values()) {
            for (long n : counts) {
                long bytes = n * t.byteSize();
                byte[] data = new byte[(int) bytes];
                rnd.nextBytes(data);
                // a view at an offset inside a larger storage, from a heap array and back into native memory
                Storage st = cuda.allocate(bytes + 3L * t.byteSize(), false);
                try (Arena arena = Arena.ofConfined()) {
                    View v = new View(st, t, new Layout(new int[] {(int) n}, new long[] {1}, 3));
                    cuda.copyFromHost(MemorySegment.ofArray(data), v);
                    MemorySegment back = arena.allocate(bytes, 64);
                    cuda.copyToHost(v, back);
                    assertArrayEquals(data, back.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), t + " x " + n);
                } finally {
                    st.release("test");
                }
            }
        }
    }

    @Test
    void tensorsMoveBetweenHostAndDevice() {
        try (MemoryScope s = MemoryScope.open()) {
            Tensor host;
            try (var u = Backends.use(reference)) {
                host = Tensor.randn(Shape.of(33, 17), 3);
            }
            Tensor dev = host.to(cuda);
            assertEquals(cuda.name(), dev.backend().name());
            assertArrayEquals(host.toDoubleArray(), dev.to(reference).toDoubleArray());
            assertArrayEquals(host.transpose(0, 1).contiguous().toDoubleArray(), dev.transpose(0, 1).toDoubleArray());
        }
    }

    @Test
    void gemmIsFullF32ByDefault() {
        // TF32 keeps 10 mantissa bits: its error on k = 512 would be near 1e-3, full F32 stays near 1e-6.
        agree("matmul 512", 2e-5, () -> Tensor.randn(Shape.of(256, 512), 4).matmul(Tensor.randn(Shape.of(512, 128), 5)));
        agree("batched broadcast matmul", 2e-5, () -> Tensor.randn(Shape.of(3, 1, 20, 30), 6).matmul(Tensor.randn(Shape.of(4, 30, 10), 7)));
    }

    @Test
    void viewsOfHighRankAreSplitIntoSeveralLaunches() {
        int[] dims = new int[10];
        java.util.Arrays.fill(dims, 2);
        int[] perm = {9, 0, 8, 1, 7, 2, 6, 3, 5, 4};
        agree("rank-10 permuted copy", 0, () -> Tensor.randn(Shape.of(dims), 8).permute(perm).contiguous());
        agree("rank-10 broadcast add", 1e-6, () -> Tensor.randn(Shape.of(dims), 9).permute(perm)
                .add(Tensor.randn(Shape.of(2, 1, 2, 1, 2, 1, 2, 1, 2, 1), 10)));
        int[] d17 = new int[17];
        java.util.Arrays.fill(d17, 2);
        agree("sum over 9 separate axis groups", 1e-5, () -> Tensor.randn(Shape.of(d17), 11).sum(new int[] {0, 2, 4, 6, 8, 10, 12, 14, 16}, false));
        agree("max over 9 separate axis groups", 0, () -> Tensor.randn(Shape.of(d17), 12).max(new int[] {0, 2, 4, 6, 8, 10, 12, 14, 16}, false));
    }

    @Test
    void integerDivisionByZeroAndNegativeExponentsThrow() {
        try (MemoryScope s = MemoryScope.open(); var u = Backends.use(cuda)) {
            Tensor a = Tensor.fromArray(new int[] {7, -7, 1});
            Tensor b = Tensor.fromArray(new int[] {2, 0, 3});
            Tensor out = Tensor.zeros(Shape.of(3), DType.I32);
            ArithmeticException e = assertThrows(ArithmeticException.class,
                    () -> cuda.binary(BinaryOp.DIV, a.view(), b.view(), out.view()));
            assertTrue(e.getMessage().contains("division by zero"), e.getMessage());
            Tensor c = Tensor.fromArray(new int[] {2, 0, 3});
            cuda.binary(BinaryOp.DIV, a.view(), c.add(Tensor.fromArray(new int[] {0, 2, 0})).view(), out.view());
            assertArrayEquals(new int[] {3, -4, 0}, out.toIntArray(), "floor division");
            assertThrows(ArithmeticException.class, () -> cuda.binary(BinaryOp.POW, a.view(),
                    Tensor.fromArray(new int[] {1, -1, 2}).view(), out.view()));
        }
    }

    @Test
    void outOfRangeIndicesNameTheOpIndexAndAxis() {
        try (MemoryScope s = MemoryScope.open(); var u = Backends.use(cuda)) {
            Tensor x = Tensor.randn(Shape.of(3, 4), 1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> x.gather(1, Tensor.fromArray(new int[] {0, 9, 1}, 3, 1)));
            assertEquals("gather: index 9 is out of range for axis 1 of size 4", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> Tensor.zeros(3, 4).scatterAdd(0, Tensor.fromArray(new long[] {-1, 0, 0, 0}, 1, 4), Tensor.ones(1, 4)));
            assertEquals("scatterAdd: index -1 is out of range for axis 0 of size 3", e.getMessage());
            assertEquals(12.0, x.abs().add(1).sum().item() > 0 ? 12.0 : 0.0); // the device still works
        }
    }

    @Test
    void integerScatterAddWrapsLikeTheReference() {
        agree("scatterAdd I32", 0, () -> Tensor.zeros(Shape.of(4, 3), DType.I32).scatterAdd(0,
                Tensor.fromArray(new long[] {0, 1, 2, 0, 3, 3, 0, 0, 0}, 3, 3), Tensor.randint(-9, 9, Shape.of(3, 3), 1).cast(DType.I32)));
        agree("scatterAdd I16", 0, () -> Tensor.zeros(Shape.of(5), DType.I16).scatterAdd(0,
                Tensor.fromArray(new long[] {0, 1, 1, 4, 4, 4}), Tensor.randint(-300, 300, Shape.of(6), 2).cast(DType.I16)));
        agree("scatterAdd U8", 0, () -> Tensor.zeros(Shape.of(3), DType.U8).scatterAdd(0,
                Tensor.fromArray(new long[] {0, 0, 2, 2, 2}), Tensor.randint(0, 255, Shape.of(5), 3).cast(DType.U8)));
    }

}
