package dev.anvil.backend.vector;

import dev.anvil.spi.ComputePool;
import dev.anvil.spi.Int8Gemm;
import dev.anvil.spi.View;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The int8 product of {@link Int8Gemm} with the Vector API, which has no widening multiply-add (x86's
 * {@code vpmaddwd}): values in [-127, 127] travel as 16-bit lanes, where one multiply gives two products per
 * 32-bit lane and two such products of the same output add up without overflow (2 * 127^2 < 2^15). Each
 * 32-bit lane then holds two signed 16-bit sums (lo, hi); instead of sign-extending both halves every step, a
 * step adds {@code x ^ 0x8000} (making the low half an exact non-negative offset) into one accumulator and
 * {@code x >> 16} (the exact high half) into another, and the two are untangled once at the end.
 *
 * <p>Weights are packed once by {@link #prepare}: per block of {@link #NRI} output channels, per pair of depth
 * steps, the channels' two weights side by side (one 16-bit vector). Activations are quantized while they are
 * packed, two rows at a time, so the kernel is a 2 x NRI register tile. (Three rows ran no faster; four need
 * more vector calls than C2 inlines into one loop, and the vectors then get boxed: measured 10x slower.)
 */
final class VectorInt8Gemm implements Int8Gemm {
    private static final VectorSpecies<Short> SS = ShortVector.SPECIES_PREFERRED.withShape(VectorGemm.shape());
    private static final VectorSpecies<Integer> IS = IntVector.SPECIES_PREFERRED.withShape(VectorGemm.shape());
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED.withShape(VectorGemm.shape());
    /** Output channels per micro-tile: one 32-bit lane each. */
    static final int NRI = IS.length();
    /** Rows per micro-tile. */
    static final int MR = 2;
    /** Rows quantized at a time (a multiple of MR): their int rows take ROW_CHUNK * 4k bytes. */
    static final int ROW_CHUNK = 64;
    /** Packed weights swept by one chunk of rows before the next panel: half a 512 KiB L2. */
    static final int PANEL_BYTES = 256 * 1024;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    /** Weights packed as described in the class comment; {@code pairs} is even (zero padded). */
    private record Packed(int n, int k, int pairs, short[] b) implements Prepared {
    }

    @Override
    public Prepared prepare(View w) {
        Int8Gemm.checkWeights(w);
        int n = w.shape()[0];
        int k = w.shape()[1];
        int pairs = roundUp((k + 1) / 2, 2);
        int blocks = (n + NRI - 1) / NRI;
        short[] b = new short[Math.multiplyExact(Math.multiplyExact(blocks, pairs), 2 * NRI)];
        MemorySegment s = w.segment();
        long base = w.offset();
        for (int j = 0; j < n; j++) {
            int block = j / NRI;
            int lane = j % NRI;
            for (int q = 0; q < k; q++) {
                int o = (block * pairs + q / 2) * 2 * NRI + 2 * lane + (q & 1);
                b[o] = s.get(ValueLayout.JAVA_BYTE, base + (long) j * k + q);
            }
        }
        return new Packed(n, k, pairs, b);
    }

    @Override
    public void gemm(View x, float xScale, Prepared prepared, View wScale, View bias, View out) {
        if (!(prepared instanceof Packed w)) {
            throw new IllegalArgumentException("int8 gemm: weights were prepared by another kernel ("
                    + (prepared == null ? "none" : prepared.getClass().getSimpleName()) + "); prepare them with this one");
        }
        int m = Int8Gemm.checkGemm(x, xScale, w, wScale, bias, out);
        if (m == 0) {
            return;
        }
        int n = w.n();
        int blocks = (n + NRI - 1) / NRI;
        int rowTiles = (m + MR - 1) / MR;
        double flopsPerTile = 2.0 * MR * NRI * w.k();
        // split the rows when there are enough of them for every thread, else the output channels
        boolean splitRows = rowTiles >= 4 * ComputePool.threads();
        long items = splitRows ? rowTiles : blocks;
        double flopsPerItem = flopsPerTile * (splitRows ? blocks : rowTiles);
        long minChunk = (long) Math.ceil(VectorGemm.MIN_FLOPS_PER_THREAD / flopsPerItem);
        ComputePool.parallelFor(items, minChunk, (from, to) -> {
            if (splitRows) {
                run(x, xScale, w, wScale, bias, out, (int) from * MR, (int) Math.min(m, to * MR), 0, blocks);
            } else {
                run(x, xScale, w, wScale, bias, out, 0, m, (int) from, (int) to);
            }
            return 0;
        });
    }

    /**
     * Rows [i0, i1) against channel blocks [c0, c1), in the BLIS order: {@link #ROW_CHUNK} rows are quantized at a
     * time; for each panel of channel blocks whose packed weights fit in {@link #PANEL_BYTES} (so they stay in L2
     * while every tile of the chunk passes), each tile of {@link #MR} rows is laid out as whole vectors (each
     * row's depth pair repeated over the register, so the kernel loads instead of broadcasting: fewer vector
     * calls per step, measured 17% faster) and meets every block of the panel.
     */
    private static void run(View x, float xScale, Packed w, View wScale, View bias, View out, int i0, int i1, int c0,
                            int c1) {
        int k = w.k();
        int pairs = w.pairs();
        int n = w.n();
        int lanes = SS.length();
        int panel = Math.max(1, PANEL_BYTES / (pairs * lanes * Short.BYTES));
        short[] a = i1 - i0 >= MR ? new short[pairs * MR * lanes] : null;
        int[] single = new int[pairs];
        int[][] rows = new int[Math.min(ROW_CHUNK, i1 - i0)][k + 1];
        float[] scale = new float[n];
        float[] shift = new float[n];
        for (int j = c0 * NRI; j < Math.min(n, c1 * NRI); j++) {
            scale[j] = xScale * wScale.segment().getAtIndex(F32, wScale.offset() + j);
            shift[j] = bias == null ? 0f : bias.segment().getAtIndex(F32, bias.offset() + j);
        }
        int[] tile = new int[MR * NRI];
        MemorySegment xs = x.segment();
        MemorySegment os = out.segment();
        float inv = 1f / xScale;
        for (int chunk = i0; chunk < i1; chunk += ROW_CHUNK) {
            int count = Math.min(ROW_CHUNK, i1 - chunk);
            for (int r = 0; r < count; r++) {
                quantizeRow(xs, x.offset() + (long) (chunk + r) * k, k, inv, rows[r]);
            }
            for (int p0 = c0; p0 < c1; p0 += panel) {
                int p1 = Math.min(c1, p0 + panel);
                for (int t = 0; t < count; t += MR) {
                    int mr = Math.min(MR, count - t);
                    if (mr == 2) {
                        expand(rows[t], rows[t + 1], pairs, k, a);
                    } else {
                        pack(rows[t], pairs, k, single);
                    }
                    for (int cb = p0; cb < p1; cb++) {
                        int j0 = cb * NRI;
                        int cols = Math.min(NRI, n - j0);
                        int bo = cb * pairs * 2 * NRI;
                        if (mr == 2) {
                            kernel2(a, w.b(), bo, pairs, tile);
                        } else {
                            kernel1(single, w.b(), bo, pairs, tile);
                        }
                        for (int r = 0; r < mr; r++) {
                            long dst = out.offset() + (long) (chunk + t + r) * n + j0;
                            for (int j = 0; j < cols; j++) {
                                os.setAtIndex(F32, dst + j, (float) tile[r * NRI + j] * scale[j0 + j] + shift[j0 + j]);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * Lays out a two-row tile for {@link #kernel2}: per depth pair q, per row, the pair (row[2q], row[2q+1])
     * repeated over one 16-bit vector; zeros for the padding pairs. Scalar on purpose: kept free of vector calls
     * it is cheap even before the JIT compiles it (vector calls in a loop not yet compiled cost microseconds each).
     */
    private static void expand(int[] row0, int[] row1, int pairs, int k, short[] a) {
        int lanes = SS.length();
        for (int q = 0; q < pairs; q++) {
            for (int r = 0; r < MR; r++) {
                int[] row = r == 0 ? row0 : row1;
                short lo = 2 * q < k ? (short) row[2 * q] : 0;
                short hi = 2 * q < k ? (short) row[2 * q + 1] : 0;
                int o = (q * MR + r) * lanes;
                for (int l = 0; l < lanes; l += 2) {
                    a[o + l] = lo;
                    a[o + l + 1] = hi;
                }
            }
        }
    }

    /**
     * A single row for {@link #kernel1}: each depth pair as one int (low half the even step), broadcast by the
     * kernel. For one row, writing the repeated vectors would cost more than the broadcasts save.
     */
    private static void pack(int[] row, int pairs, int k, int[] out) {
        for (int q = 0; q < pairs; q++) {
            out[q] = 2 * q < k ? (row[2 * q + 1] << 16) | (row[2 * q] & 0xFFFF) : 0;
        }
    }

    /**
     * {@code q[0:k]} = the quantized row at element {@code src} of {@code xs}, and {@code q[k] = 0} (the padding
     * of an odd depth). Rounds half to even like {@link Math#rint}: adding and subtracting 1.5 * 2^23 leaves a
     * float of magnitude <= 127 rounded to an integer in IEEE arithmetic; NaN becomes 0 as in a Java cast.
     */
    private static void quantizeRow(MemorySegment xs, long src, int k, float inv, int[] q) {
        FloatVector scale = FloatVector.broadcast(FS, inv);
        FloatVector low = FloatVector.broadcast(FS, -127f);
        FloatVector high = FloatVector.broadcast(FS, 127f);
        FloatVector magic = FloatVector.broadcast(FS, 12582912f);
        int lanes = FS.length();
        int i = 0;
        for (; i <= k - lanes; i += lanes) {
            FloatVector v = FloatVector.fromMemorySegment(FS, xs, (src + i) * Float.BYTES, ByteOrder.nativeOrder())
                    .mul(scale).max(low).min(high).add(magic).sub(magic);
            ((IntVector) v.convert(VectorOperators.F2I, 0)).intoArray(q, i);
        }
        for (; i < k; i++) {
            q[i] = Int8Gemm.quantize(xs.getAtIndex(F32, src + i), inv);
        }
        q[k] = 0;
    }

    /**
     * Two rows: {@code tile[r * NRI + j]} = the exact int32 dot product of row r with channel j of the block.
     * {@code a} holds, per depth pair, each row's pair as a whole vector (see {@link #run}).
     */
    private static void kernel2(short[] a, short[] b, int bo, int pairs, int[] tile) {
        IntVector flip = IntVector.broadcast(IS, 0x8000);
        IntVector f0 = IntVector.zero(IS);
        IntVector g0 = f0;
        IntVector f1 = f0;
        IntVector g1 = f0;
        int lanes = SS.length();
        for (int q = 0; q < pairs; q += 2) {
            ShortVector b0 = ShortVector.fromArray(SS, b, bo + q * lanes);
            ShortVector b1 = ShortVector.fromArray(SS, b, bo + (q + 1) * lanes);
            int ai = q * MR * lanes;
            IntVector v = b0.mul(ShortVector.fromArray(SS, a, ai)).add(b1.mul(ShortVector.fromArray(SS, a, ai + MR * lanes)))
                    .reinterpretAsInts().lanewise(VectorOperators.XOR, flip);
            f0 = f0.add(v);
            g0 = g0.add(v.lanewise(VectorOperators.ASHR, 16));
            v = b0.mul(ShortVector.fromArray(SS, a, ai + lanes)).add(b1.mul(ShortVector.fromArray(SS, a, ai + (MR + 1) * lanes)))
                    .reinterpretAsInts().lanewise(VectorOperators.XOR, flip);
            f1 = f1.add(v);
            g1 = g1.add(v.lanewise(VectorOperators.ASHR, 16));
        }
        int offset = 0x8000 * (pairs / 2);
        // f = 2^16 * sum(hi) + sum(lo) + offset (mod 2^32), g = sum(hi): sum(lo) + sum(hi) is exact
        f0.sub(g0.lanewise(VectorOperators.LSHL, 16)).sub(offset).add(g0).intoArray(tile, 0);
        f1.sub(g1.lanewise(VectorOperators.LSHL, 16)).sub(offset).add(g1).intoArray(tile, NRI);
    }

    /** One row (a single example, or the last of an odd count), its depth pairs packed by {@link #pack}. */
    private static void kernel1(int[] a, short[] b, int bo, int pairs, int[] tile) {
        IntVector flip = IntVector.broadcast(IS, 0x8000);
        IntVector f0 = IntVector.zero(IS);
        IntVector g0 = f0;
        int lanes = SS.length();
        for (int q = 0; q < pairs; q += 2) {
            ShortVector b0 = ShortVector.fromArray(SS, b, bo + q * lanes);
            ShortVector b1 = ShortVector.fromArray(SS, b, bo + (q + 1) * lanes);
            ShortVector a0 = IntVector.broadcast(IS, a[q]).reinterpretAsShorts();
            ShortVector a1 = IntVector.broadcast(IS, a[q + 1]).reinterpretAsShorts();
            IntVector v = b0.mul(a0).add(b1.mul(a1)).reinterpretAsInts().lanewise(VectorOperators.XOR, flip);
            f0 = f0.add(v);
            g0 = g0.add(v.lanewise(VectorOperators.ASHR, 16));
        }
        int offset = 0x8000 * (pairs / 2);
        f0.sub(g0.lanewise(VectorOperators.LSHL, 16)).sub(offset).add(g0).intoArray(tile, 0);
    }

    private static int roundUp(int v, int m) {
        return (v + m - 1) / m * m;
    }
}
