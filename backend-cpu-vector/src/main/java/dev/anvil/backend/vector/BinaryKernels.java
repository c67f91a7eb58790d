package dev.anvil.backend.vector;

import static dev.anvil.backend.vector.Simd.D;
import static dev.anvil.backend.vector.Simd.F;
import static dev.anvil.backend.vector.Simd.F32;
import static dev.anvil.backend.vector.Simd.F64;
import static dev.anvil.backend.vector.Simd.NO;
import static dev.anvil.backend.vector.Simd.U8;

import dev.anvil.spi.BinaryOp;
import dev.anvil.spi.ScalarMath;
import dev.anvil.spi.View;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Binary elementwise ops and where. A run is vectorised when the output is unit-stride and each input is
 * unit-stride or stride 0 (a broadcast scalar over the run): that covers dense tensors, tensor-op-scalar,
 * bias rows ([n, c] + [1, c]) and per-row scales ([n, c] * [n, 1]). Other runs take a typed scalar loop.
 */
final class BinaryKernels {
    private BinaryKernels() {
    }

    static void f32(BinaryOp op, View a, View b, View out) {
        MemorySegment sa = a.segment();
        MemorySegment sb = b.segment();
        MemorySegment so = out.segment();
        boolean cmp = op.isComparison();
        Runs.forEach(out.shape(), (off, str, n) -> {
            int i = 0;
            if (str[2] == 1 && str[0] <= 1 && str[1] <= 1 && !(str[0] == 0 && str[1] == 0)) {
                i = cmp ? compareRun(op, sa, off[0], str[0], sb, off[1], str[1], so, off[2], n)
                        : arithRun(op, sa, off[0], str[0], sb, off[1], str[1], so, off[2], n);
            }
            for (; i < n; i++) {
                double r = ScalarMath.apply(op, sa.getAtIndex(F32, off[0] + i * str[0]),
                        sb.getAtIndex(F32, off[1] + i * str[1]));
                if (cmp) {
                    so.set(U8, off[2] + i * str[2], (byte) r);
                } else {
                    so.setAtIndex(F32, off[2] + i * str[2], (float) r);
                }
            }
        }, a.layout(), b.layout(), out.layout());
    }

    /**
     * One loop per operand pattern (both unit-stride, a broadcast, b broadcast), so that no vector variable
     * merges a loaded vector with a hoisted one or with null: C2 keeps such a merge boxed, which allocated
     * a vector object and its array per lane block (gigabytes of garbage per training minute).
     */
    private static int arithRun(BinaryOp op, MemorySegment sa, long ai, long as, MemorySegment sb, long bi, long bs,
                                MemorySegment so, long oi, int n) {
        int lanes = F.length();
        int up = n - n % lanes;
        if (as == 0) {
            FloatVector x = FloatVector.broadcast(F, sa.getAtIndex(F32, ai));
            for (int i = 0; i < up; i += lanes) {
                apply(op, x, FloatVector.fromMemorySegment(F, sb, (bi + i) * 4, NO)).intoMemorySegment(so, (oi + i) * 4, NO);
            }
        } else if (bs == 0) {
            FloatVector y = FloatVector.broadcast(F, sb.getAtIndex(F32, bi));
            for (int i = 0; i < up; i += lanes) {
                apply(op, FloatVector.fromMemorySegment(F, sa, (ai + i) * 4, NO), y).intoMemorySegment(so, (oi + i) * 4, NO);
            }
        } else {
            for (int i = 0; i < up; i += lanes) {
                apply(op, FloatVector.fromMemorySegment(F, sa, (ai + i) * 4, NO),
                        FloatVector.fromMemorySegment(F, sb, (bi + i) * 4, NO)).intoMemorySegment(so, (oi + i) * 4, NO);
            }
        }
        return up;
    }

    private static FloatVector apply(BinaryOp op, FloatVector x, FloatVector y) {
        return switch (op) {
            case ADD -> x.add(y);
            case SUB -> x.sub(y);
            case MUL -> x.mul(y);
            case DIV -> x.div(y);
            case POW -> x.pow(y);
            case MAX -> x.max(y); // Math.max semantics: NaN propagates, -0 < +0
            case MIN -> x.min(y);
            default -> throw new AssertionError(op);
        };
    }

    /** As {@link #arithRun}: one loop per operand pattern, so that no vector is kept boxed. */
    private static int compareRun(BinaryOp op, MemorySegment sa, long ai, long as, MemorySegment sb, long bi, long bs,
                                  MemorySegment so, long oi, int n) {
        int lanes = F.length();
        int up = n - n % lanes;
        if (as == 0) {
            FloatVector x = FloatVector.broadcast(F, sa.getAtIndex(F32, ai));
            for (int i = 0; i < up; i += lanes) {
                Simd.storeMask(compare(op, x, FloatVector.fromMemorySegment(F, sb, (bi + i) * 4, NO)), so, oi + i);
            }
        } else if (bs == 0) {
            FloatVector y = FloatVector.broadcast(F, sb.getAtIndex(F32, bi));
            for (int i = 0; i < up; i += lanes) {
                Simd.storeMask(compare(op, FloatVector.fromMemorySegment(F, sa, (ai + i) * 4, NO), y), so, oi + i);
            }
        } else {
            for (int i = 0; i < up; i += lanes) {
                Simd.storeMask(compare(op, FloatVector.fromMemorySegment(F, sa, (ai + i) * 4, NO),
                        FloatVector.fromMemorySegment(F, sb, (bi + i) * 4, NO)), so, oi + i);
            }
        }
        return up;
    }

    private static VectorMask<Float> compare(BinaryOp op, FloatVector x, FloatVector y) {
        return switch (op) {
            case EQ -> x.compare(VectorOperators.EQ, y);
            case NE -> x.compare(VectorOperators.NE, y); // true for NaN, like Java's !=
            case LT -> x.compare(VectorOperators.LT, y);
            case LE -> x.compare(VectorOperators.LE, y);
            case GT -> x.compare(VectorOperators.GT, y);
            case GE -> x.compare(VectorOperators.GE, y);
            default -> throw new AssertionError(op);
        };
    }

    /** F64: add, sub, mul, div, max, min with SIMD; pow and the comparisons in scalar. */
    static void f64(BinaryOp op, View a, View b, View out) {
        MemorySegment sa = a.segment();
        MemorySegment sb = b.segment();
        MemorySegment so = out.segment();
        boolean cmp = op.isComparison();
        boolean simd = switch (op) {
            case ADD, SUB, MUL, DIV, MAX, MIN -> true;
            default -> false;
        };
        Runs.forEach(out.shape(), (off, str, n) -> {
            int i = 0;
            if (simd && str[2] == 1 && str[0] <= 1 && str[1] <= 1 && !(str[0] == 0 && str[1] == 0)) {
                i = arithRun64(op, sa, off[0], str[0], sb, off[1], str[1], so, off[2], n);
            }
            for (; i < n; i++) {
                double r = ScalarMath.apply(op, sa.getAtIndex(F64, off[0] + i * str[0]),
                        sb.getAtIndex(F64, off[1] + i * str[1]));
                if (cmp) {
                    so.set(U8, off[2] + i * str[2], (byte) r);
                } else {
                    so.setAtIndex(F64, off[2] + i * str[2], r);
                }
            }
        }, a.layout(), b.layout(), out.layout());
    }

    private static int arithRun64(BinaryOp op, MemorySegment sa, long ai, long as, MemorySegment sb, long bi, long bs,
                                  MemorySegment so, long oi, int n) {
        int lanes = D.length();
        int up = n - n % lanes;
        DoubleVector fa = as == 0 ? DoubleVector.broadcast(D, sa.getAtIndex(F64, ai)) : null;
        DoubleVector fb = bs == 0 ? DoubleVector.broadcast(D, sb.getAtIndex(F64, bi)) : null;
        for (int i = 0; i < up; i += lanes) {
            DoubleVector x = fa != null ? fa : DoubleVector.fromMemorySegment(D, sa, (ai + i) * 8, NO);
            DoubleVector y = fb != null ? fb : DoubleVector.fromMemorySegment(D, sb, (bi + i) * 8, NO);
            DoubleVector r = switch (op) {
                case ADD -> x.add(y);
                case SUB -> x.sub(y);
                case MUL -> x.mul(y);
                case DIV -> x.div(y);
                case MAX -> x.max(y);
                case MIN -> x.min(y);
                default -> throw new AssertionError(op);
            };
            r.intoMemorySegment(so, (oi + i) * 8, NO);
        }
        return up;
    }

    // ---------------------------------------------------------------- where

    /** Condition bytes per lane block: a byte vector with as many lanes as {@link Simd#F}. */
    private static final jdk.incubator.vector.VectorSpecies<Byte> COND = jdk.incubator.vector.VectorSpecies.of(byte.class,
            jdk.incubator.vector.VectorShape.forBitSize(F.length() * 8));

    /**
     * F32 where over a unit-stride run (a and b unit-stride or broadcast): blend by the condition bytes, with one
     * loop per operand pattern as in {@link #arithRun}.
     */
    private static int whereRunF32(MemorySegment sc, long ci, MemorySegment sa, long ai, long as, MemorySegment sb, long bi,
                                   long bs, MemorySegment so, long oi, int n) {
        int lanes = F.length();
        int up = n - n % lanes;
        if (as == 0 && bs == 0) {
            return 0; // both broadcast: the scalar loop
        }
        if (as == 0) {
            FloatVector x = FloatVector.broadcast(F, sa.getAtIndex(F32, ai));
            for (int i = 0; i < up; i += lanes) {
                FloatVector.fromMemorySegment(F, sb, (bi + i) * 4, NO).blend(x, cond(sc, ci + i))
                        .intoMemorySegment(so, (oi + i) * 4, NO);
            }
        } else if (bs == 0) {
            FloatVector y = FloatVector.broadcast(F, sb.getAtIndex(F32, bi));
            for (int i = 0; i < up; i += lanes) {
                y.blend(FloatVector.fromMemorySegment(F, sa, (ai + i) * 4, NO), cond(sc, ci + i))
                        .intoMemorySegment(so, (oi + i) * 4, NO);
            }
        } else {
            for (int i = 0; i < up; i += lanes) {
                FloatVector.fromMemorySegment(F, sb, (bi + i) * 4, NO).blend(FloatVector.fromMemorySegment(F, sa, (ai + i) * 4, NO),
                        cond(sc, ci + i)).intoMemorySegment(so, (oi + i) * 4, NO);
            }
        }
        return up;
    }

    private static VectorMask<Float> cond(MemorySegment sc, long at) {
        return jdk.incubator.vector.ByteVector.fromMemorySegment(COND, sc, at, NO).compare(VectorOperators.NE, (byte) 0).cast(F);
    }

    /**
     * Any dtype: a select is a move of elements of the output's width, so it needs no arithmetic per type; F32
     * runs with unit-stride condition and output are blended a vector at a time.
     */
    static void where(View cond, View a, View b, View out) {
        MemorySegment sc = cond.segment();
        MemorySegment sa = a.segment();
        MemorySegment sb = b.segment();
        MemorySegment so = out.segment();
        int es = out.dtype().byteSize();
        boolean f32 = out.dtype() == dev.anvil.DType.F32;
        Runs.forEach(out.shape(), (off, str, n) -> {
            int start = 0;
            if (f32 && str[0] == 1 && str[3] == 1 && str[1] <= 1 && str[2] <= 1) {
                start = whereRunF32(sc, off[0], sa, off[1], str[1], sb, off[2], str[2], so, off[3], n);
            }
            for (int i = start; i < n; i++) {
                boolean c = sc.get(U8, off[0] + i * str[0]) != 0;
                long from = c ? off[1] + i * str[1] : off[2] + i * str[2];
                MemorySegment src = c ? sa : sb;
                long to = off[3] + i * str[3];
                switch (es) {
                    case 1 -> so.set(U8, to, src.get(U8, from));
                    case 2 -> so.setAtIndex(ValueLayout.JAVA_SHORT, to, src.getAtIndex(ValueLayout.JAVA_SHORT, from));
                    case 4 -> so.setAtIndex(ValueLayout.JAVA_INT, to, src.getAtIndex(ValueLayout.JAVA_INT, from));
                    default -> so.setAtIndex(ValueLayout.JAVA_LONG, to, src.getAtIndex(ValueLayout.JAVA_LONG, from));
                }
            }
        }, cond.layout(), a.layout(), b.layout(), out.layout());
    }
}
