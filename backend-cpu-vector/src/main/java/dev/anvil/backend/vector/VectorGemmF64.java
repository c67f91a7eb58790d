package dev.anvil.backend.vector;

import dev.anvil.spi.GemmSpec;
import dev.anvil.spi.HostStorage;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * F64 GEMM: {@link VectorGemmF32}'s structure (packing, cache blocking, a 6 x 2-vector micro-kernel) with
 * doubles; generated from it by replacing the element type, so fixes there belong here too. F64 serves
 * gradient checks and reductions, so it gets no tuning of its own.
 */
final class VectorGemmF64 {
    static final VectorSpecies<Double> S = VectorGemm.doubleSpecies();
    static final int L = S.length();
    /** Micro-tile: 6 rows x 2 vectors, the F32 shape (same register budget, half the lanes). */
    static final int MR = 6;
    static final int NR = 2 * L;
    /** Same footprint as F32: a KC x NR micro-panel of B is 16 KiB at 4 lanes, A's micro-panel 12 KiB (L1). */
    static final int KC = 256;
    /** MC x KC doubles = 144 KiB in L2. */
    static final int MC = 72;
    /** KC x NC doubles = 2 MiB of L3, as for F32. */
    static final int NC = 1024;

    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final ValueLayout.OfDouble F = ValueLayout.JAVA_DOUBLE;

    /** Per-thread packing buffers (pool workers live as long as the process, so they are reused). */
    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    private static final class Buffers {
        double[] a = new double[0];
        double[] b = new double[0];
        final double[] tile = new double[MR * NR];

        double[] a(int size) {
            if (a.length < size) {
                a = new double[size];
            }
            return a;
        }

        double[] b(int size) {
            if (b.length < size) {
                b = new double[size];
            }
            return b;
        }
    }

    private VectorGemmF64() {
    }

    /** C[i0:i1, j0:j1] of batch {@code p}, over the whole depth k (k >= 1). */
    static void block(GemmSpec g, int p, int i0, int i1, int j0, int j1) {
        MemorySegment a = ((HostStorage) g.a()).segment();
        MemorySegment b = ((HostStorage) g.b()).segment();
        MemorySegment c = ((HostStorage) g.c()).segment();
        long aBase = g.aOffset() + p * g.aBatchStride();
        long bBase = g.bOffset() + p * g.bBatchStride();
        long cBase = g.cOffset() + p * g.cBatchStride();
        double alpha = g.alpha();
        double beta = g.beta();
        int k = g.k();
        Buffers buf = BUFFERS.get();
        int ncMax = Math.min(NC, roundUp(j1 - j0, NR));
        int mcMax = Math.min(MC, roundUp(i1 - i0, MR));
        int kcMax = Math.min(KC, k);
        double[] ap = buf.a(mcMax * kcMax);
        double[] bp = buf.b(ncMax * kcMax);
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
                double betaK = pc == 0 ? beta : 1f;
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
        double alpha = g.alpha();
        double beta = g.beta();
        int k = g.k();
        Buffers buf = BUFFERS.get();
        double[] x = buf.a(k);
        double[] acc = buf.b(GEMV_BLOCK);
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

    /** out[o] = alpha * dot(M[o, 0:k], x) + beta * out[o] for rows o in [o0, o1). */
    private static void dotRows(MemorySegment mat, long base, long ld, int o0, int o1, int k, double[] x,
                                MemorySegment c, long cBase, long cStride, double alpha, double beta) {
        int kv = k / L * L;
        for (int o = o0; o < o1; o++) {
            long row = base + o * ld;
            DoubleVector s0 = DoubleVector.zero(S);
            DoubleVector s1 = DoubleVector.zero(S);
            int q = 0;
            for (; q + 2 * L <= k; q += 2 * L) {
                s0 = DoubleVector.fromMemorySegment(S, mat, (row + q) * Double.BYTES, NATIVE)
                        .fma(DoubleVector.fromArray(S, x, q), s0);
                s1 = DoubleVector.fromMemorySegment(S, mat, (row + q + L) * Double.BYTES, NATIVE)
                        .fma(DoubleVector.fromArray(S, x, q + L), s1);
            }
            for (; q < kv; q += L) {
                s0 = DoubleVector.fromMemorySegment(S, mat, (row + q) * Double.BYTES, NATIVE)
                        .fma(DoubleVector.fromArray(S, x, q), s0);
            }
            var sum = Simd.sum(s0.add(s1));
            for (; q < k; q++) {
                sum += mat.getAtIndex(F, row + q) * x[q];
            }
            long ci = cBase + o * cStride;
            var v = alpha * sum;
            c.setAtIndex(F, ci, beta == 0 ? v : v + beta * c.getAtIndex(F, ci));
        }
    }

    /** out[o] = alpha * sum_q x[q] * M[q, o] + beta * out[o] for columns o in [o0, o1), a block at a time. */
    private static void axpyRows(MemorySegment mat, long base, long ld, int o0, int o1, int k, double[] x,
                                 double[] acc, MemorySegment c, long cBase, long cStride, double alpha, double beta) {
        for (int j0 = o0; j0 < o1; j0 += GEMV_BLOCK) {
            int len = Math.min(GEMV_BLOCK, o1 - j0);
            int lv = len / L * L;
            java.util.Arrays.fill(acc, 0, len, 0);
            for (int q = 0; q < k; q++) {
                long row = base + q * ld + j0;
                DoubleVector xq = DoubleVector.broadcast(S, x[q]);
                int j = 0;
                for (; j < lv; j += L) {
                    DoubleVector.fromMemorySegment(S, mat, (row + j) * Double.BYTES, NATIVE)
                            .fma(xq, DoubleVector.fromArray(S, acc, j)).intoArray(acc, j);
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
    private static void kernel(double[] ap, int ao, double[] bp, int bo, int kc, MemorySegment c, long cOff,
                               long ldc, double alpha, double beta, int mr, int nr, double[] tile) {
        DoubleVector c00 = DoubleVector.zero(S), c01 = DoubleVector.zero(S);
        DoubleVector c10 = DoubleVector.zero(S), c11 = DoubleVector.zero(S);
        DoubleVector c20 = DoubleVector.zero(S), c21 = DoubleVector.zero(S);
        DoubleVector c30 = DoubleVector.zero(S), c31 = DoubleVector.zero(S);
        DoubleVector c40 = DoubleVector.zero(S), c41 = DoubleVector.zero(S);
        DoubleVector c50 = DoubleVector.zero(S), c51 = DoubleVector.zero(S);
        // one depth step per iteration: unrolling by hand makes C2 spill accumulators (measured 2-3x slower)
        for (int q = 0; q < kc; q++) {
            int bi = bo + q * NR;
            int ai = ao + q * MR;
            DoubleVector b0 = DoubleVector.fromArray(S, bp, bi);
            DoubleVector b1 = DoubleVector.fromArray(S, bp, bi + L);
            DoubleVector x = DoubleVector.broadcast(S, ap[ai]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = DoubleVector.broadcast(S, ap[ai + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = DoubleVector.broadcast(S, ap[ai + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = DoubleVector.broadcast(S, ap[ai + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = DoubleVector.broadcast(S, ap[ai + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = DoubleVector.broadcast(S, ap[ai + 5]);
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
    private static void storeFull(double[] tile, MemorySegment c, long cOff, long ldc, double alpha, double beta) {
        DoubleVector va = DoubleVector.broadcast(S, alpha);
        DoubleVector vb = DoubleVector.broadcast(S, beta);
        for (int r = 0; r < MR; r++) {
            long o = (cOff + r * ldc) * Double.BYTES;
            for (int j = 0; j < NR; j += L, o += (long) L * Double.BYTES) {
                DoubleVector v = DoubleVector.fromArray(S, tile, r * NR + j).mul(va);
                if (beta != 0) {
                    v = DoubleVector.fromMemorySegment(S, c, o, NATIVE).fma(vb, v);
                }
                v.intoMemorySegment(c, o, NATIVE);
            }
        }
    }

    /** The same for an edge tile: only its mr x nr corner exists in C. */
    private static void storePartial(double[] tile, MemorySegment c, long cOff, long ldc, double alpha, double beta,
                                     int mr, int nr) {
        for (int r = 0; r < mr; r++) {
            for (int j = 0; j < nr; j++) {
                long ci = cOff + r * ldc + j;
                double v = alpha * tile[r * NR + j];
                c.setAtIndex(F, ci, beta == 0 ? v : v + beta * c.getAtIndex(F, ci));
            }
        }
    }

    /**
     * B stored k x n: one micro-panel at a time, each depth step a full-line read of NR contiguous values.
     * (Walking whole rows instead and scattering them over the micro-panels measured 1.7x slower: the
     * scattered stores land kc * NR elements apart, in one cache set.)
     */
    private static void packB(MemorySegment b, long base, long ldb, int pc, int kc, int jc, int nc, double[] bp) {
        int o = 0;
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            long src = base + (long) pc * ldb + jc + jr;
            if (nr == NR) {
                for (int q = 0; q < kc; q++, src += ldb, o += NR) {
                    for (int v = 0; v < NR; v += L) {
                        DoubleVector.fromMemorySegment(S, b, (src + v) * Double.BYTES, NATIVE).intoArray(bp, o + v);
                    }
                }
            } else {
                for (int q = 0; q < kc; q++, src += ldb, o += NR) {
                    for (int j = 0; j < nr; j++) {
                        bp[o + j] = b.getAtIndex(F, src + j);
                    }
                    for (int j = nr; j < NR; j++) {
                        bp[o + j] = 0;
                    }
                }
            }
        }
    }

    /** B stored n x k (transposed): column j of op(B) is row j of storage, read contiguously. */
    private static void packBT(MemorySegment b, long base, long ldb, int pc, int kc, int jc, int nc, double[] bp) {
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
                    bp[o + q * NR + j] = 0;
                }
            }
        }
    }

    /** A stored m x k: row i of op(A) is read contiguously and scattered MR apart. */
    private static void packA(MemorySegment a, long base, long lda, int ic, int mc, int pc, int kc, double[] ap) {
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
                    ap[o + q * MR + r] = 0;
                }
            }
        }
    }

    /**
     * A stored k x m (transposed): the MR values of one depth step are contiguous in storage. Each storage
     * row is walked once, left to right: going down the rows one micro-panel at a time instead touches a
     * new line per row and, with a power-of-two lda, evicts them before the next micro-panel reuses them.
     */
    private static void packAT(MemorySegment a, long base, long lda, int ic, int mc, int pc, int kc, double[] ap) {
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
