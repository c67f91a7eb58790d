package dev.anvil.backend.vector;

import static dev.anvil.backend.vector.Simd.D;
import static dev.anvil.backend.vector.Simd.F;
import static dev.anvil.backend.vector.Simd.F32;
import static dev.anvil.backend.vector.Simd.F64;
import static dev.anvil.backend.vector.Simd.FH;
import static dev.anvil.backend.vector.Simd.NO;
import static dev.anvil.backend.vector.Simd.U8;

import dev.anvil.DType;
import dev.anvil.spi.HostAccess;
import dev.anvil.spi.Layout;
import dev.anvil.spi.StridedIter;
import dev.anvil.spi.View;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/** fill and copy: raw element moves for any dtype, and the common casts as typed (vector where it pays) loops. */
final class CopyKernels {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG;
    /** Largest |float| that converts to int without saturating; beyond it the reference wraps through long. */
    private static final float INT_RANGE = 2.14748365E9f;

    private CopyKernels() {
    }

    // ---------------------------------------------------------------- fill

    /** Any dtype: the value is converted once (as the reference does) and its bit pattern replicated. */
    static void fill(View dst, double value) {
        DType t = dst.dtype();
        int es = t.byteSize();
        MemorySegment one = MemorySegment.ofArray(new long[1]);
        HostAccess.putDouble(one, t, 0, value);
        long bits = one.get(I64, 0);
        boolean sameBytes = es == 1 || bits == 0 || bits == -1;
        MemorySegment s = dst.segment();
        Runs.forEach(dst.shape(), (off, str, n) -> {
            long at = off[0];
            long step = str[0];
            if (step == 1) {
                MemorySegment run = s.asSlice(at * es, (long) n * es);
                if (sameBytes) {
                    run.fill((byte) bits);
                } else {
                    // One element, then double the filled prefix with bulk copies.
                    MemorySegment.copy(one, 0, run, 0, es);
                    for (long done = es, total = (long) n * es; done < total; done *= 2) {
                        MemorySegment.copy(run, 0, run, done, Math.min(done, total - done));
                    }
                }
                return;
            }
            int count = step == 0 ? 1 : n;
            for (int i = 0; i < count; i++) {
                putRaw(s, es, at + i * step, bits);
            }
        }, dst.layout());
    }

    private static void putRaw(MemorySegment s, int es, long index, long bits) {
        switch (es) {
            case 1 -> s.set(U8, index, (byte) bits);
            case 2 -> s.setAtIndex(I16, index, (short) bits);
            case 4 -> s.setAtIndex(I32, index, (int) bits);
            default -> s.setAtIndex(I64, index, bits);
        }
    }

    // ---------------------------------------------------------------- copy

    /** A strided run converter: {@code n} elements from {@code s[si + i*ss]} to {@code d[di + i*ds]}. */
    @FunctionalInterface
    interface Converter {
        void run(MemorySegment s, long si, long ss, MemorySegment d, long di, long ds, int n);
    }

    /** Copies with conversion; false when the pair of dtypes has no kernel here (the caller delegates). */
    static boolean copy(View src, View dst) {
        if (src.dtype() == dst.dtype() && transposed(src, dst)) {
            return true;
        }
        Converter c = src.dtype() == dst.dtype() ? raw(src.dtype().byteSize()) : converter(src.dtype(), dst.dtype());
        if (c == null) {
            return false;
        }
        MemorySegment s = src.segment();
        MemorySegment d = dst.segment();
        Runs.forEach(dst.shape(), (off, str, n) -> c.run(s, off[0], str[0], d, off[1], str[1], n),
                src.layout(), dst.layout());
        return true;
    }

    /** Side of the square tiles of {@link #transposed}: 32 source cache lines stay in L1 while a tile is read. */
    private static final int TILE = 32;

    /**
     * Materialises a transpose ({@code contiguous()} of a permuted view) tile by tile: when dst's innermost
     * dimension is unit-stride but src's is not, while src is unit-stride along another dimension, walking
     * dst row by row would touch a new source cache line per element. False when the layouts are not such.
     */
    private static boolean transposed(View src, View dst) {
        int es = src.dtype().byteSize();
        int[] shape = dst.shape();
        long[] ss = src.layout().strides();
        long[] ds = dst.layout().strides();
        int in = -1;
        for (int i = shape.length - 1; i >= 0 && in < 0; i--) {
            in = shape[i] > 1 ? i : -1;
        }
        if ((es != 4 && es != 8) || in < 0 || ds[in] != 1 || ss[in] == 1) {
            return false;
        }
        int j = -1;
        for (int i = 0; i < shape.length; i++) {
            if (i != in && shape[i] > 1 && ss[i] == 1) {
                j = i;
            }
        }
        if (j < 0 || shape[in] < TILE || shape[j] < TILE) {
            return false;
        }
        int ni = shape[in];
        int nj = shape[j];
        long si = ss[in];
        long dj = ds[j];
        // Every position of the other dimensions is one 2-D transpose [nj, ni]; list their bases.
        int[] outer = shape.clone();
        outer[in] = 1;
        outer[j] = 1;
        int planes = Math.toIntExact(Layout.numel(outer));
        long[] sBase = new long[planes];
        long[] dBase = new long[planes];
        StridedIter it = new StridedIter(outer, new Layout(outer, ss, src.offset()), new Layout(outer, ds, dst.offset()));
        for (int p = 0; it.hasNext(); ) {
            it.next();
            for (int k = 0; k < it.inner(); k++, p++) {
                sBase[p] = it.offset(0) + k * it.innerStride(0);
                dBase[p] = it.offset(1) + k * it.innerStride(1);
            }
        }
        int bands = (nj + TILE - 1) / TILE;
        MemorySegment s = src.segment();
        MemorySegment d = dst.segment();
        Runs.parallel((long) planes * bands, (long) TILE * ni, (from, to) -> {
            for (long t = from; t < to; t++) {
                int p = (int) (t / bands);
                int j0 = (int) (t % bands) * TILE;
                int j1 = Math.min(nj, j0 + TILE);
                for (int i0 = 0; i0 < ni; i0 += TILE) {
                    int i1 = Math.min(ni, i0 + TILE);
                    for (int jj = j0; jj < j1; jj++) {
                        long from0 = sBase[p] + jj;
                        long to0 = dBase[p] + jj * dj;
                        if (es == 4) {
                            for (int ii = i0; ii < i1; ii++) {
                                d.setAtIndex(I32, to0 + ii, s.getAtIndex(I32, from0 + ii * si));
                            }
                        } else {
                            for (int ii = i0; ii < i1; ii++) {
                                d.setAtIndex(I64, to0 + ii, s.getAtIndex(I64, from0 + ii * si));
                            }
                        }
                    }
                }
            }
            return 0;
        });
        return true;
    }

    /** Same dtype: bulk copies of contiguous runs, element moves of the right width otherwise. */
    static Converter raw(int es) {
        return (s, si, ss, d, di, ds, n) -> {
            if (ss == 1 && ds == 1) {
                MemorySegment.copy(s, si * es, d, di * es, (long) n * es);
                return;
            }
            switch (es) {
                case 1 -> {
                    for (int i = 0; i < n; i++) {
                        d.set(U8, di + i * ds, s.get(U8, si + i * ss));
                    }
                }
                case 2 -> {
                    for (int i = 0; i < n; i++) {
                        d.setAtIndex(I16, di + i * ds, s.getAtIndex(I16, si + i * ss));
                    }
                }
                case 4 -> {
                    for (int i = 0; i < n; i++) {
                        d.setAtIndex(I32, di + i * ds, s.getAtIndex(I32, si + i * ss));
                    }
                }
                default -> {
                    for (int i = 0; i < n; i++) {
                        d.setAtIndex(I64, di + i * ds, s.getAtIndex(I64, si + i * ss));
                    }
                }
            }
        };
    }

    /** The casts worth a kernel: F32 to and from every type a model meets; null for the rest. */
    private static Converter converter(DType from, DType to) {
        if (from == DType.F32) {
            return switch (to) {
                case F64 -> CopyKernels::f32ToF64;
                case I32 -> CopyKernels::f32ToI32;
                case F16 -> (s, si, ss, d, di, ds, n) -> {
                    for (int i = 0; i < n; i++) {
                        d.setAtIndex(I16, di + i * ds, Float.floatToFloat16(s.getAtIndex(F32, si + i * ss)));
                    }
                };
                case BF16 -> (s, si, ss, d, di, ds, n) -> {
                    for (int i = 0; i < n; i++) {
                        d.setAtIndex(I16, di + i * ds, HostAccess.floatToBf16(s.getAtIndex(F32, si + i * ss)));
                    }
                };
                case I64 -> (s, si, ss, d, di, ds, n) -> {
                    for (int i = 0; i < n; i++) {
                        d.setAtIndex(I64, di + i * ds, (long) s.getAtIndex(F32, si + i * ss));
                    }
                };
                case U8 -> (s, si, ss, d, di, ds, n) -> {
                    for (int i = 0; i < n; i++) {
                        d.set(U8, di + i * ds, (byte) (long) s.getAtIndex(F32, si + i * ss));
                    }
                };
                case BOOL -> (s, si, ss, d, di, ds, n) -> {
                    for (int i = 0; i < n; i++) {
                        d.set(U8, di + i * ds, (byte) (s.getAtIndex(F32, si + i * ss) != 0 ? 1 : 0));
                    }
                };
                default -> null;
            };
        }
        if (to == DType.F32) {
            return switch (from) {
                case F64 -> CopyKernels::f64ToF32;
                case I32 -> CopyKernels::i32ToF32;
                case F16 -> (s, si, ss, d, di, ds, n) -> {
                    for (int i = 0; i < n; i++) {
                        d.setAtIndex(F32, di + i * ds, Float.float16ToFloat(s.getAtIndex(I16, si + i * ss)));
                    }
                };
                case BF16 -> (s, si, ss, d, di, ds, n) -> {
                    for (int i = 0; i < n; i++) {
                        d.setAtIndex(F32, di + i * ds, HostAccess.bf16ToFloat(s.getAtIndex(I16, si + i * ss)));
                    }
                };
                case I64 -> (s, si, ss, d, di, ds, n) -> {
                    for (int i = 0; i < n; i++) {
                        // through double, exactly as the reference rounds (long -> double -> float)
                        d.setAtIndex(F32, di + i * ds, (float) (double) s.getAtIndex(I64, si + i * ss));
                    }
                };
                case U8 -> (s, si, ss, d, di, ds, n) -> {
                    for (int i = 0; i < n; i++) {
                        d.setAtIndex(F32, di + i * ds, Byte.toUnsignedInt(s.get(U8, si + i * ss)));
                    }
                };
                case BOOL -> (s, si, ss, d, di, ds, n) -> {
                    for (int i = 0; i < n; i++) {
                        d.setAtIndex(F32, di + i * ds, s.get(U8, si + i * ss) != 0 ? 1f : 0f);
                    }
                };
                default -> null;
            };
        }
        return null;
    }

    private static void f32ToF64(MemorySegment s, long si, long ss, MemorySegment d, long di, long ds, int n) {
        int i = 0;
        if (ss == 1 && ds == 1) {
            int lanes = D.length();
            for (int up = n - n % lanes; i < up; i += lanes) {
                FloatVector x = FloatVector.fromMemorySegment(FH, s, (si + i) * 4, NO);
                x.convertShape(VectorOperators.F2D, D, 0).intoMemorySegment(d, (di + i) * 8, NO);
            }
        }
        for (; i < n; i++) {
            d.setAtIndex(F64, di + i * ds, s.getAtIndex(F32, si + i * ss));
        }
    }

    private static void f64ToF32(MemorySegment s, long si, long ss, MemorySegment d, long di, long ds, int n) {
        int i = 0;
        if (ss == 1 && ds == 1) {
            int lanes = D.length();
            for (int up = n - n % lanes; i < up; i += lanes) {
                DoubleVector x = DoubleVector.fromMemorySegment(D, s, (si + i) * 8, NO);
                x.convertShape(VectorOperators.D2F, FH, 0).intoMemorySegment(d, (di + i) * 4, NO);
            }
        }
        for (; i < n; i++) {
            d.setAtIndex(F32, di + i * ds, (float) s.getAtIndex(F64, si + i * ss));
        }
    }

    private static void f32ToI32(MemorySegment s, long si, long ss, MemorySegment d, long di, long ds, int n) {
        int i = 0;
        if (ss == 1 && ds == 1) {
            int lanes = F.length();
            for (int up = n - n % lanes; i < up; i += lanes) {
                FloatVector x = FloatVector.fromMemorySegment(F, s, (si + i) * 4, NO);
                if (x.abs().compare(VectorOperators.GE, INT_RANGE).anyTrue()) {
                    break; // out of int range: the scalar loop below wraps like the reference
                }
                x.convert(VectorOperators.F2I, 0).intoMemorySegment(d, (di + i) * 4, NO);
            }
        }
        for (; i < n; i++) {
            d.setAtIndex(I32, di + i * ds, (int) (long) s.getAtIndex(F32, si + i * ss));
        }
    }

    private static void i32ToF32(MemorySegment s, long si, long ss, MemorySegment d, long di, long ds, int n) {
        int i = 0;
        if (ss == 1 && ds == 1) {
            int lanes = F.length();
            for (int up = n - n % lanes; i < up; i += lanes) {
                IntVector x = IntVector.fromMemorySegment(IntVector.SPECIES_PREFERRED, s, (si + i) * 4, NO);
                x.convert(VectorOperators.I2F, 0).intoMemorySegment(d, (di + i) * 4, NO);
            }
        }
        for (; i < n; i++) {
            d.setAtIndex(F32, di + i * ds, s.getAtIndex(I32, si + i * ss));
        }
    }

    // ---------------------------------------------------------------- host transfers

    /**
     * Host to storage and back. One bulk copy on the calling thread: the caller's segment may be confined
     * to its thread, so the pool's workers may not touch it.
     */
    static void fromHost(MemorySegment src, View dst) {
        long es = dst.dtype().byteSize();
        MemorySegment.copy(src, 0, dst.segment(), dst.offset() * es, dst.numel() * es);
    }

    static void toHost(View src, MemorySegment dst) {
        long es = src.dtype().byteSize();
        MemorySegment.copy(src.segment(), src.offset() * es, dst, 0, src.numel() * es);
    }
}
