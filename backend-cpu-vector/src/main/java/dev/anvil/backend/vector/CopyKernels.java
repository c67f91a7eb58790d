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
