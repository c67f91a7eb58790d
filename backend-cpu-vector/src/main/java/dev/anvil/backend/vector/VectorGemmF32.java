package dev.anvil.backend.vector;

import dev.anvil.spi.GemmSpec;
import dev.anvil.spi.HostStorage;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * F32 GEMM in the BLIS layout: for one block of C, loop over column panels (NC), depth panels (KC) and
 * row panels (MC); pack op(B)'s KC x NC panel and op(A)'s MC x KC panel into contiguous heap arrays
 * (every transpose case is absorbed by the packing), then sweep the panel with a register-tiled MR x NR
 * micro-kernel whose MR x (NR / lanes) accumulators stay in vector registers for the whole KC loop.
 */
final class VectorGemmF32 {
    static final VectorSpecies<Float> S = VectorGemm.floatSpecies();
    static final int L = S.length();
    /**
     * Micro-tile: 6 rows x 2 vectors. On AVX2 that is 12 accumulators + 2 B vectors + 1 broadcast A
     * = 15 of the 16 ymm registers. A 4 x 3-vector tile needs all 16, and C2 then spills an accumulator
     * to the stack inside the loop (measured 2-3x slower).
     */
    static final int MR = 6;
    static final int NR = 2 * L;
    /**
     * Depth of a panel: a KC x NR micro-panel of B (16 KiB at 8 lanes) plus a MR x KC micro-panel of A
     * (6 KiB) stay inside a 32 KiB L1d while the micro-kernel streams them.
     */
    static final int KC = 256;
    /** Rows of the packed A block: MC x KC floats = 144 KiB, well inside a 512 KiB L2 next to B's traffic. */
    static final int MC = 144;
    /** Columns of the packed B panel: KC x NC floats = 2 MiB, a share of L3; wider blocks of C are tiled. */
    static final int NC = 2048;

    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    /** Per-thread packing buffers (pool workers live as long as the process, so they are reused). */
    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    private static final class Buffers {
        float[] a = new float[0];
        float[] b = new float[0];
        final float[] tile = new float[MR * NR];

        float[] a(int size) {
            if (a.length < size) {
                a = new float[size];
            }
            return a;
        }

        float[] b(int size) {
            if (b.length < size) {
                b = new float[size];
            }
            return b;
        }
    }

    private VectorGemmF32() {
    }

    /** C[i0:i1, j0:j1] of batch {@code p}, over the whole depth k (k >= 1). */
    static void block(GemmSpec g, int p, int i0, int i1, int j0, int j1) {
        MemorySegment a = ((HostStorage) g.a()).segment();
        MemorySegment b = ((HostStorage) g.b()).segment();
        MemorySegment c = ((HostStorage) g.c()).segment();
        long aBase = g.aOffset() + p * g.aBatchStride();
        long bBase = g.bOffset() + p * g.bBatchStride();
        long cBase = g.cOffset() + p * g.cBatchStride();
        float alpha = (float) g.alpha();
        float beta = (float) g.beta();
        int k = g.k();
        Buffers buf = BUFFERS.get();
        int ncMax = Math.min(NC, roundUp(j1 - j0, NR));
        int mcMax = Math.min(MC, roundUp(i1 - i0, MR));
        int kcMax = Math.min(KC, k);
        float[] ap = buf.a(mcMax * kcMax);
        float[] bp = buf.b(ncMax * kcMax);
        for (int jc = j0; jc < j1; jc += NC) {
            int nc = Math.min(NC, j1 - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                if (g.transB()) {
                    packBT(b, bBase, g.ldb(), pc, kc, jc, nc, bp);
                } else {
                    packB(b, bBase, g.ldb(), pc, kc, jc, nc, bp);
                }
                // the first depth panel applies beta (and never reads C when beta == 0); later ones accumulate
                float betaK = pc == 0 ? beta : 1f;
                for (int ic = i0; ic < i1; ic += MC) {
                    int mc = Math.min(MC, i1 - ic);
                    if (g.transA()) {
                        packAT(a, aBase, g.lda(), ic, mc, pc, kc, ap);
                    } else {
                        packA(a, aBase, g.lda(), ic, mc, pc, kc, ap);
                    }
                    long cOff = cBase + ic * g.ldc() + jc;
                    for (int jr = 0; jr < nc; jr += NR) {
                        int nr = Math.min(NR, nc - jr);
                        for (int ir = 0; ir < mc; ir += MR) {
                            int mr = Math.min(MR, mc - ir);
                            kernel(ap, ir * kc, bp, jr * kc, kc, c, cOff + ir * g.ldc() + jr, g.ldc(),
                                    alpha, betaK, mr, nr, buf.tile);
                        }
                    }
                }
            }
        }
    }

    /**
     * Outputs [o0, o1) of batch {@code p} when m == 1 or n == 1: a matrix times a vector, which packing
     * would only slow down (every element of the matrix is used once). The vector is gathered into a
     * buffer; the matrix is walked along its contiguous dimension, as dot products of its rows with the
     * vector or as a sum of its rows scaled by the vector's elements.
     */
    static void gemv(GemmSpec g, int p, int o0, int o1) {
        MemorySegment a = ((HostStorage) g.a()).segment();
        MemorySegment b = ((HostStorage) g.b()).segment();
        MemorySegment c = ((HostStorage) g.c()).segment();
        long aBase = g.aOffset() + p * g.aBatchStride();
        long bBase = g.bOffset() + p * g.bBatchStride();
        long cBase = g.cOffset() + p * g.cBatchStride();
        float alpha = (float) g.alpha();
        float beta = (float) g.beta();
        int k = g.k();
        Buffers buf = BUFFERS.get();
        float[] x = buf.a(k);
        float[] acc = buf.b(GEMV_BLOCK);
        boolean rowOut = g.m() == 1;
        if (rowOut) {
            // C (1 x n) = a (1 x k) * op(B): B's rows (or columns) meet the vector a
            long step = g.transA() ? g.lda() : 1;
            for (int q = 0; q < k; q++) {
                x[q] = a.getAtIndex(F, aBase + q * step);
            }
            if (g.transB()) {
                dotRows(b, bBase, g.ldb(), o0, o1, k, x, c, cBase, 1, alpha, beta);
            } else {
                axpyRows(b, bBase, g.ldb(), o0, o1, k, x, acc, c, cBase, 1, alpha, beta);
            }
        } else {
            // C (m x 1) = op(A) * b (k x 1), written down a column of C
            long step = g.transB() ? 1 : g.ldb();
            for (int q = 0; q < k; q++) {
                x[q] = b.getAtIndex(F, bBase + q * step);
            }
            if (g.transA()) {
                axpyRows(a, aBase, g.lda(), o0, o1, k, x, acc, c, cBase, g.ldc(), alpha, beta);
            } else {
                dotRows(a, aBase, g.lda(), o0, o1, k, x, c, cBase, g.ldc(), alpha, beta);
            }
        }
    }

    /** Columns of the matrix summed at a time in {@link #axpyRows}: the accumulator stays in L1. */
    static final int GEMV_BLOCK = 1024;

    /**
     * out[o] = alpha * dot(M[o, 0:k], x) + beta * out[o] for rows o in [o0, o1). Four rows at a time: four
     * independent FMA chains hide the FMA latency, and each block of x is loaded once for the four rows.
     */
    private static void dotRows(MemorySegment mat, long base, long ld, int o0, int o1, int k, float[] x,
                                MemorySegment c, long cBase, long cStride, float alpha, float beta) {
        int kv = k / L * L;
        int o = o0;
        for (; o + 4 <= o1; o += 4) {
            long r0 = (base + o * ld) * Float.BYTES;
            long r1 = r0 + ld * Float.BYTES;
            long r2 = r1 + ld * Float.BYTES;
            long r3 = r2 + ld * Float.BYTES;
            FloatVector s0 = FloatVector.zero(S);
            FloatVector s1 = FloatVector.zero(S);
            FloatVector s2 = FloatVector.zero(S);
            FloatVector s3 = FloatVector.zero(S);
            for (int q = 0; q < kv; q += L) {
                FloatVector xv = FloatVector.fromArray(S, x, q);
                long qb = (long) q * Float.BYTES;
                s0 = FloatVector.fromMemorySegment(S, mat, r0 + qb, NATIVE).fma(xv, s0);
                s1 = FloatVector.fromMemorySegment(S, mat, r1 + qb, NATIVE).fma(xv, s1);
                s2 = FloatVector.fromMemorySegment(S, mat, r2 + qb, NATIVE).fma(xv, s2);
                s3 = FloatVector.fromMemorySegment(S, mat, r3 + qb, NATIVE).fma(xv, s3);
            }
            float d0 = Simd.sum(s0);
            float d1 = Simd.sum(s1);
            float d2 = Simd.sum(s2);
            float d3 = Simd.sum(s3);
            for (int q = kv; q < k; q++) {
                float xq = x[q];
                d0 += mat.getAtIndex(F, base + o * ld + q) * xq;
                d1 += mat.getAtIndex(F, base + (o + 1) * ld + q) * xq;
                d2 += mat.getAtIndex(F, base + (o + 2) * ld + q) * xq;
                d3 += mat.getAtIndex(F, base + (o + 3) * ld + q) * xq;
            }
            store(c, cBase + o * cStride, alpha * d0, beta);
            store(c, cBase + (o + 1) * cStride, alpha * d1, beta);
            store(c, cBase + (o + 2) * cStride, alpha * d2, beta);
            store(c, cBase + (o + 3) * cStride, alpha * d3, beta);
        }
        for (; o < o1; o++) {
            long row = base + o * ld;
            FloatVector s0 = FloatVector.zero(S);
            int q = 0;
            for (; q < kv; q += L) {
                s0 = FloatVector.fromMemorySegment(S, mat, (row + q) * Float.BYTES, NATIVE)
                        .fma(FloatVector.fromArray(S, x, q), s0);
            }
            float sum = Simd.sum(s0);
            for (; q < k; q++) {
                sum += mat.getAtIndex(F, row + q) * x[q];
            }
            store(c, cBase + o * cStride, alpha * sum, beta);
        }
    }

    private static void store(MemorySegment c, long ci, float v, float beta) {
        c.setAtIndex(F, ci, beta == 0 ? v : v + beta * c.getAtIndex(F, ci));
    }

    /** out[o] = alpha * sum_q x[q] * M[q, o] + beta * out[o] for columns o in [o0, o1), a block at a time. */
    private static void axpyRows(MemorySegment mat, long base, long ld, int o0, int o1, int k, float[] x,
                                 float[] acc, MemorySegment c, long cBase, long cStride, float alpha, float beta) {
        for (int j0 = o0; j0 < o1; j0 += GEMV_BLOCK) {
            int len = Math.min(GEMV_BLOCK, o1 - j0);
            int lv = len / L * L;
            java.util.Arrays.fill(acc, 0, len, 0);
            for (int q = 0; q < k; q++) {
                long row = base + q * ld + j0;
                FloatVector xq = FloatVector.broadcast(S, x[q]);
                int j = 0;
                for (; j < lv; j += L) {
                    FloatVector.fromMemorySegment(S, mat, (row + j) * Float.BYTES, NATIVE)
                            .fma(xq, FloatVector.fromArray(S, acc, j)).intoArray(acc, j);
                }
                for (; j < len; j++) {
                    acc[j] += x[q] * mat.getAtIndex(F, row + j);
                }
            }
            for (int j = 0; j < len; j++) {
                long ci = cBase + (long) (j0 + j) * cStride;
                var v = alpha * acc[j];
                c.setAtIndex(F, ci, beta == 0 ? v : v + beta * c.getAtIndex(F, ci));
            }
        }
    }

    private static int roundUp(int x, int m) {
        return (x + m - 1) / m * m;
    }

    /**
     * C[0:mr, 0:nr] (at element {@code cOff}, rows {@code ldc} apart) = alpha * Ap * Bp + beta * C, where Ap
     * is an MR-interleaved micro-panel and Bp an NR-interleaved one, both {@code kc} deep and zero padded.
     */
    private static void kernel(float[] ap, int ao, float[] bp, int bo, int kc, MemorySegment c, long cOff,
                               long ldc, float alpha, float beta, int mr, int nr, float[] tile) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        // one depth step per iteration: unrolling by hand makes C2 spill accumulators (measured 2-3x slower)
        for (int q = 0; q < kc; q++) {
            int bi = bo + q * NR;
            int ai = ao + q * MR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector x = FloatVector.broadcast(S, ap[ai]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        // vectors handed to a method that is not inlined get boxed, so the accumulators leave through the tile
        c00.intoArray(tile, 0);
        c01.intoArray(tile, L);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + L);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + L);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + L);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + L);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + L);
        if (mr == MR && nr == NR) {
            storeFull(tile, c, cOff, ldc, alpha, beta);
        } else {
            storePartial(tile, c, cOff, ldc, alpha, beta, mr, nr);
        }
    }

    /** C tile = alpha * tile + beta * C for a whole MR x NR tile, a vector at a time. */
    private static void storeFull(float[] tile, MemorySegment c, long cOff, long ldc, float alpha, float beta) {
        FloatVector va = FloatVector.broadcast(S, alpha);
        FloatVector vb = FloatVector.broadcast(S, beta);
        for (int r = 0; r < MR; r++) {
            long o = (cOff + r * ldc) * Float.BYTES;
            for (int j = 0; j < NR; j += L, o += (long) L * Float.BYTES) {
                FloatVector v = FloatVector.fromArray(S, tile, r * NR + j).mul(va);
                if (beta != 0) {
                    v = FloatVector.fromMemorySegment(S, c, o, NATIVE).fma(vb, v);
                }
                v.intoMemorySegment(c, o, NATIVE);
            }
        }
    }

    /** The same for an edge tile: only its mr x nr corner exists in C. */
    private static void storePartial(float[] tile, MemorySegment c, long cOff, long ldc, float alpha, float beta,
                                     int mr, int nr) {
        for (int r = 0; r < mr; r++) {
            for (int j = 0; j < nr; j++) {
                long ci = cOff + r * ldc + j;
                float v = alpha * tile[r * NR + j];
                c.setAtIndex(F, ci, beta == 0 ? v : v + beta * c.getAtIndex(F, ci));
            }
        }
    }

    /**
     * B stored k x n: one micro-panel at a time, each depth step a full-line read of NR contiguous values.
     * (Walking whole rows instead and scattering them over the micro-panels measured 1.7x slower: the
     * scattered stores land kc * NR elements apart, in one cache set.)
     */
    private static void packB(MemorySegment b, long base, long ldb, int pc, int kc, int jc, int nc, float[] bp) {
        int o = 0;
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            long src = base + (long) pc * ldb + jc + jr;
            if (nr == NR) {
                for (int q = 0; q < kc; q++, src += ldb, o += NR) {
                    for (int v = 0; v < NR; v += L) {
                        FloatVector.fromMemorySegment(S, b, (src + v) * Float.BYTES, NATIVE).intoArray(bp, o + v);
                    }
                }
            } else {
                for (int q = 0; q < kc; q++, src += ldb, o += NR) {
                    for (int j = 0; j < nr; j++) {
                        bp[o + j] = b.getAtIndex(F, src + j);
                    }
                    for (int j = nr; j < NR; j++) {
                        bp[o + j] = 0f;
                    }
                }
            }
        }
    }

    /** B stored n x k (transposed): column j of op(B) is row j of storage, read contiguously. */
    private static void packBT(MemorySegment b, long base, long ldb, int pc, int kc, int jc, int nc, float[] bp) {
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            int o = jr * kc;
            for (int j = 0; j < nr; j++) {
                long src = base + (long) (jc + jr + j) * ldb + pc;
                for (int q = 0; q < kc; q++) {
                    bp[o + q * NR + j] = b.getAtIndex(F, src + q);
                }
            }
            for (int j = nr; j < NR; j++) {
                for (int q = 0; q < kc; q++) {
                    bp[o + q * NR + j] = 0f;
                }
            }
        }
    }

    /** A stored m x k: row i of op(A) is read contiguously and scattered MR apart. */
    private static void packA(MemorySegment a, long base, long lda, int ic, int mc, int pc, int kc, float[] ap) {
        for (int ir = 0; ir < mc; ir += MR) {
            int mr = Math.min(MR, mc - ir);
            int o = ir * kc;
            for (int r = 0; r < mr; r++) {
                long src = base + (long) (ic + ir + r) * lda + pc;
                for (int q = 0; q < kc; q++) {
                    ap[o + q * MR + r] = a.getAtIndex(F, src + q);
                }
            }
            for (int r = mr; r < MR; r++) {
                for (int q = 0; q < kc; q++) {
                    ap[o + q * MR + r] = 0f;
                }
            }
        }
    }

    /**
     * A stored k x m (transposed): the MR values of one depth step are contiguous in storage. Each storage
     * row is walked once, left to right: going down the rows one micro-panel at a time instead touches a
     * new line per row and, with a power-of-two lda, evicts them before the next micro-panel reuses them.
     */
    private static void packAT(MemorySegment a, long base, long lda, int ic, int mc, int pc, int kc, float[] ap) {
        int full = mc / MR * MR;
        for (int q = 0; q < kc; q++) {
            long src = base + (long) (pc + q) * lda + ic;
            int o = q * MR;
            for (int ir = 0; ir < full; ir += MR, o += kc * MR) {
                for (int r = 0; r < MR; r++) {
                    ap[o + r] = a.getAtIndex(F, src + ir + r);
                }
            }
            if (full < mc) {
                for (int r = 0; r < MR; r++) {
                    ap[o + r] = full + r < mc ? a.getAtIndex(F, src + full + r) : 0f;
                }
            }
        }
    }
}
