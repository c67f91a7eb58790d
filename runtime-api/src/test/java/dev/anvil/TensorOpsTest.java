package dev.anvil;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Known answers for the tensor API on the reference backend (the oracle itself needs an oracle). */
class TensorOpsTest {
    private MemoryScope scope;
    private Backends.Using using;

    @BeforeEach
    void open() {
        using = Backends.use("reference");
        scope = MemoryScope.open("test");
    }

    @AfterEach
    void close() {
        scope.close();
        using.close();
    }

    private static Tensor t(float... v) {
        return Tensor.fromArray(v);
    }

    @Test
    void matmulOfKnownMatrices() {
        Tensor a = Tensor.fromArray(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor b = Tensor.fromArray(new float[] {7, 8, 9, 10, 11, 12}, 3, 2);
        assertArrayEquals(new float[] {58, 64, 139, 154}, a.matmul(b).toFloatArray());
        assertEquals(Shape.of(2, 2), a.matmul(b).shape());
        assertArrayEquals(new float[] {14, 32}, a.matmul(t(1, 2, 3)).toFloatArray());
        assertEquals(Shape.of(), t(1, 2).matmul(t(3, 4)).shape());
        assertEquals(11.0, t(1, 2).matmul(t(3, 4)).item());
        assertEquals(Shape.of(5, 2, 2), Tensor.ones(5, 2, 3).matmul(b).shape());
    }

    @Test
    void matmulRejectsMismatchedInnerDimensionsNamingBothShapes() {
        var e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(32, 784).matmul(Tensor.zeros(785, 256)));
        assertEquals("matmul: inner dimensions differ: [32, 784] x [785, 256]", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, 3, 4).matmul(Tensor.zeros(3, 4, 2)));
        assertThrows(IllegalArgumentException.class, () -> Tensor.arange(4).matmul(Tensor.arange(4)));
    }

    @Test
    void broadcastingFollowsNumpy() {
        Tensor col = Tensor.fromArray(new float[] {1, 2, 3}, 3, 1);
        Tensor row = t(10, 20);
        Tensor sum = col.add(row);
        assertEquals(Shape.of(3, 2), sum.shape());
        assertArrayEquals(new float[] {11, 21, 12, 22, 13, 23}, sum.toFloatArray());
        var e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, 3).add(Tensor.zeros(4)));
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4]"), e.getMessage());
    }

    @Test
    void typePromotionMatchesPytorch() {
        assertEquals(DType.F32, Tensor.arange(3).add(t(1, 2, 3)).dtype());
        assertEquals(DType.I64, Tensor.arange(3).add(Tensor.fromArray(new int[] {1, 2, 3})).dtype());
        assertEquals(DType.F32, Tensor.arange(3).div(2).dtype());
        assertEquals(DType.F32, Tensor.arange(3).mul(0.5).dtype());
        assertEquals(DType.I64, Tensor.arange(3).mul(2).dtype());
        assertEquals(DType.F64, t(1).add(Tensor.fromArray(new double[] {1})).dtype());
        assertEquals(DType.BOOL, t(1, 2).gt(1).dtype());
        assertEquals(DType.I64, t(1, 2).gt(1).sum().dtype());
        assertEquals(DType.F32, Tensor.fromArray(new float[] {1, 2}, DType.F16).exp().dtype());
    }

    @Test
    void reductionsGiveKnownValues() {
        Tensor x = Tensor.fromArray(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertArrayEquals(new float[] {5, 7, 9}, x.sum(0).toFloatArray());
        assertArrayEquals(new float[] {6, 15}, x.sum(1).toFloatArray());
        assertEquals(Shape.of(2, 1), x.sum(new int[] {1}, true).shape());
        assertEquals(21.0, x.sum().item());
        assertEquals(3.5, x.mean().item());
        assertEquals(6.0, x.max().item());
        assertArrayEquals(new long[] {2, 2}, x.argmax(1).toLongArray());
        assertArrayEquals(new long[] {0, 0, 0}, x.argmin(0).toLongArray());
        assertEquals(3.5, x.var().item(), 1e-6);
        assertArrayEquals(new float[] {2.25f, 2.25f, 2.25f}, x.var(new int[] {0}, 0, false).toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(0).max());
        var e = assertThrows(IllegalArgumentException.class, () -> x.sum(2));
        assertTrue(e.getMessage().contains("axis 2 is out of range"), e.getMessage());
    }

    @Test
    void softmaxRowsSumToOne() {
        Tensor p = Tensor.randn(Shape.of(4, 7), 1).mul(10).softmax(-1);
        for (float s : p.sum(1).toFloatArray()) {
            assertEquals(1f, s, 1e-6f);
        }
        Tensor lp = Tensor.fromArray(new float[] {1e4f, 0, -1e4f}).logSoftmax(0);
        assertArrayEquals(new float[] {0, -1e4f, -2e4f}, lp.toFloatArray(), 1e-3f);
    }

    @Test
    void viewsShareStorageAndCopyOnlyWhenNeeded() {
        Tensor x = Tensor.arange(0, 24, 1).cast(DType.F32).reshape(2, 3, 4);
        assertSame(x.storage(), x.transpose(0, 2).storage());
        assertSame(x.storage(), x.slice(2, 1, 4, 2).storage());
        assertSame(x.storage(), x.reshape(6, 4).storage());
        assertSame(x.storage(), x.unsqueeze(1).expand(2, 5, 3, 4).storage());
        Tensor tr = x.transpose(1, 2);
        assertTrue(!tr.isContiguous());
        assertSame(x.storage(), tr.reshape(2, 4, 3).storage());
        Tensor flat = tr.reshape(-1);
        assertTrue(flat.storage() != x.storage(), "reshape of a transposed view must copy");
        assertArrayEquals(new float[] {0, 4, 8, 1, 5, 9}, flat.slice(0, 0, 6).toFloatArray());
        assertSame(x, x.contiguous());
        assertArrayEquals(new float[] {1, 3, 5, 7}, Tensor.arange(0, 8, 1).slice(0, 1, 8, 2).toFloatArray());
        assertArrayEquals(new float[] {6, 7}, Tensor.arange(0, 8, 1).slice(0, -2, 100).toFloatArray());
        assertEquals(Shape.of(3, 4), x.select(0, -1).shape());
        assertEquals(Shape.of(2, 12), x.flatten(1, 2).shape());
    }

    @Test
    void viewErrorsNameTheProblem() {
        Tensor x = Tensor.zeros(2, 3);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> x.reshape(4, 2)).getMessage().contains("[4, 2]"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> x.permute(0, 0)).getMessage().contains("repeated"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> x.expand(3, 3)).getMessage().contains("cannot broadcast"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> x.squeeze(0)).getMessage().contains("size 2"));
        assertThrows(IllegalArgumentException.class, () -> x.slice(0, 0, 2, 0));
        assertThrows(IllegalArgumentException.class, () -> x.select(1, 3));
        assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(-1, 2));
        assertThrows(IllegalArgumentException.class, () -> Tensor.fromArray(new float[] {1, 2, 3}, 2, 2));
    }

    @Test
    void joiningSplittingAndIndexing() {
        Tensor a = t(1, 2);
        Tensor b = t(3, 4, 5);
        assertArrayEquals(new float[] {1, 2, 3, 4, 5}, Tensor.concat(0, a, b).toFloatArray());
        assertEquals(Shape.of(2, 2), Tensor.stack(0, a, a).shape());
        List<Tensor> parts = Tensor.arange(7).split(3, 0);
        assertEquals(3, parts.size());
        assertArrayEquals(new long[] {6}, parts.get(2).toLongArray());
        assertEquals(3, Tensor.arange(7).chunk(3, 0).size());
        assertArrayEquals(new long[] {0, 0, 1, 1, 0, 0}, Tensor.fromArray(new long[] {2, 0}).oneHot(3).toLongArray());
        assertThrows(IllegalArgumentException.class, () -> Tensor.fromArray(new long[] {3}).oneHot(3));
        Tensor m = Tensor.fromArray(new float[] {1, 2, 3, 4}, 2, 2);
        assertArrayEquals(new float[] {2, 3}, m.gather(1, Tensor.fromArray(new long[] {1, 0}, 2, 1)).toFloatArray());
        assertArrayEquals(new float[] {3, 4, 1, 2}, m.indexSelect(0, Tensor.fromArray(new long[] {1, 0})).toFloatArray());
        assertArrayEquals(new float[] {0, 3, 0},
                Tensor.zeros(3).scatterAdd(0, Tensor.fromArray(new long[] {1, 1}), t(1, 2)).toFloatArray());
        assertArrayEquals(new float[] {1, 0, 2}, Tensor.where(t(1, 0, 1).gt(0), t(1, 1, 2), t(0, 0, 0)).toFloatArray());
    }

    @Test
    void unfoldAndFoldInvertEachOtherForNonOverlappingPatches() {
        Tensor x = Tensor.arange(0, 16, 1).cast(DType.F32).reshape(1, 1, 4, 4);
        int[] k = {2, 2};
        int[] s = {2, 2};
        int[] p = {0, 0};
        int[] d = {1, 1};
        Tensor cols = x.unfold(k, s, p, d);
        assertEquals(Shape.of(1, 4, 4), cols.shape());
        assertArrayEquals(new float[] {0, 2, 8, 10}, cols.select(1, 0).flatten().toFloatArray());
        assertArrayEquals(x.toFloatArray(), Tensor.fold(cols, new int[] {4, 4}, k, s, p, d).toFloatArray());
        // overlapping 3x3 patches with stride 1 on a 3x3 image of ones: the centre is covered 9 times with padding 1
        Tensor ones = Tensor.ones(1, 1, 3, 3);
        Tensor back = Tensor.fold(ones.unfold(new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, d),
                new int[] {3, 3}, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, d);
        assertEquals(9f, back.toFloatArray()[4]);
        assertEquals(4f, back.toFloatArray()[0]);
    }

    @Test
    void creationAndCasts() {
        assertArrayEquals(new long[] {0, 1, 2}, Tensor.arange(3).toLongArray());
        assertEquals(DType.F32, Tensor.arange(0, 1, 0.5).dtype());
        assertArrayEquals(new float[] {0, 0.5f, 1}, Tensor.linspace(0, 1, 3).toFloatArray());
        assertArrayEquals(new float[] {1, 0, 0, 1}, Tensor.eye(2).toFloatArray());
        assertArrayEquals(Tensor.randn(Shape.of(5), 3).toFloatArray(), Tensor.randn(Shape.of(5), 3).toFloatArray());
        long[] r = Tensor.randint(2, 5, Shape.of(1000), 1).toLongArray();
        for (long v : r) {
            assertTrue(v >= 2 && v < 5);
        }
        assertArrayEquals(new long[] {-3, 2, 0}, t(-3.7f, 2.9f, 0.1f).cast(DType.I32).toLongArray());
        assertArrayEquals(new float[] {1.5f, -2f}, t(1.5f, -2f).cast(DType.F16).cast(DType.F32).toFloatArray());
        assertArrayEquals(new float[] {1f, 3.140625f}, t(1f, 3.14159f).cast(DType.BF16).toFloatArray());
        assertArrayEquals(new boolean[] {true, false}, t(0.5f, 0f).cast(DType.BOOL).toBooleanArray());
        assertEquals(200, Tensor.fromBytes(new byte[] {(byte) 200}, DType.U8).itemLong());
        assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2).item());
    }

    @Test
    void toStringPrintsLikeNumpy() {
        String s = Tensor.fromArray(new float[] {1, 2.5f, 3, 4}, 2, 2).toString();
        assertTrue(s.startsWith("tensor([[1.0000, 2.5000],\n"), s);
        assertTrue(s.endsWith("shape=[2, 2], dtype=float32, backend=reference)"), s);
        String big = Tensor.arange(2000).toString();
        assertTrue(big.contains("[   0,    1,    2, ..., 1997, 1998, 1999]"), big);
        assertEquals("tensor(3, shape=[], dtype=int64, backend=reference)", Tensor.scalar(3, DType.I64).toString());
        assertTrue(t(Float.NaN, 1).toString().contains("nan"));
    }
}
