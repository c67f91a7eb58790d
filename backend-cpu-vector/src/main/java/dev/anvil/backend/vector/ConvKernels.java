package dev.anvil.backend.vector;

import static dev.anvil.backend.vector.Simd.F;
import static dev.anvil.backend.vector.Simd.F32;
import static dev.anvil.backend.vector.Simd.F64;
import static dev.anvil.backend.vector.Simd.NO;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.anvil.DType;
import dev.anvil.spi.ConvGeometry;
import dev.anvil.spi.View;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * im2col and col2im over contiguous NCHW, one (image, channel) plane per task. The columns are either per image, {@code [n, c*kh*kw, L]}
 * ({@link dev.anvil.spi.Backend#im2col}), or the whole batch side by side, {@code [c*kh*kw, n*L]}
 * ({@link dev.anvil.spi.BatchIm2col}); the two differ only in where each (image, row) block of L starts.
 */
final class ConvKernels {
    /** Planes whose zero-bordered copy is larger than this many bytes are unfolded row by row, in place. */
    static final int SCRATCH_MAX = 1 << 24;

    private ConvKernels() {
    }

    /**
     * Any dtype: unfolding only moves elements (padding is all-zero bits, which is 0 in every dtype).
     * {@code batchColumns} selects the {@code [c*kh*kw, n*L]} layout.
     *
     * <p>Each plane is first copied into a zero-bordered heap buffer (one bulk copy per input row); then every
     * (ki, kj) block of L = outH*outW elements is gathered from it with no bounds tests and leaves in one bulk
     * copy. Rows of a small image are short (14 or 28 elements here), so per-row calls on the segments, as
     * before, cost more than the moves themselves.
     */
    static void im2col(View x, ConvGeometry g, View cols, boolean batchColumns) {
        im2col(x, g, cols, batchColumns, SCRATCH_MAX);
    }

    /** As {@link #im2col(View, ConvGeometry, View, boolean)}, with the plane size above which no scratch is used. */
    static void im2col(View x, ConvGeometry g, View cols, boolean batchColumns, long scratchMax) {
        int es = x.dtype().byteSize();
        if ((long) (g.h() + 2 * g.padH()) * (g.w() + 2 * g.padW()) * es > scratchMax) {
            im2colInPlace(x, g, cols, batchColumns);
            return;
        }
        if (x.dtype() == DType.F32 && vectorRows(g)) {
            im2colF32(x, g, cols, batchColumns);
            return;
        }
        MemorySegment xs = x.segment();
        MemorySegment cs = cols.segment();
        int oh = g.outH();
        int ow = g.outW();
        int h = g.h();
        int w = g.w();
        int paddedW = w + 2 * g.padW();
        int paddedH = h + 2 * g.padH();
        int plane = oh * ow;
        Planes planes = Planes.of(g, batchColumns);
        int rowBytes = ow * es;
        boolean unitStride = g.strideW() == 1;
        Runs.parallel(planes.count(), planes.work(), (from, to) -> {
            byte[] padded = new byte[paddedH * paddedW * es]; // borders stay zero: only the interior is written
            byte[] block = new byte[plane * es];
            for (long p = from; p < to; p++) {
                int n = planes.image(p);
                int ch = planes.channel(p);
                long xPlane = (x.offset() + ((long) n * g.c() + ch) * h * w) * es;
                for (int iy = 0; iy < h; iy++) {
                    MemorySegment.copy(xs, JAVA_BYTE, xPlane + (long) iy * w * es, padded,
                            ((iy + g.padH()) * paddedW + g.padW()) * es, w * es);
                }
                for (int ki = 0; ki < g.kh(); ki++) {
                    for (int kj = 0; kj < g.kw(); kj++) {
                        for (int y = 0; y < oh; y++) {
                            int src = ((y * g.strideH() + ki * g.dilationH()) * paddedW + kj * g.dilationW()) * es;
                            int dst = y * rowBytes;
                            if (unitStride) {
                                System.arraycopy(padded, src, block, dst, rowBytes);
                            } else {
                                for (int xx = 0; xx < ow; xx++) {
                                    System.arraycopy(padded, src + xx * g.strideW() * es, block, dst + xx * es, es);
                                }
                            }
                        }
                        long row = ((long) ch * g.kh() + ki) * g.kw() + kj;
                        long colBase = cols.offset() + planes.block(n, row);
                        MemorySegment.copy(block, 0, cs, JAVA_BYTE, colBase * es, plane * es);
                    }
                }
            }
            return 0;
        });
    }

    /**
     * Whether the F32 row kernels apply: horizontal stride and dilation 1 and output and input rows at least one
     * register wide, so that every row moves in whole vectors, the last one overlapping its neighbour.
     */
    static boolean vectorRows(ConvGeometry g) {
        return g.strideW() == 1 && g.dilationW() == 1 && g.outW() >= F.length() && g.w() >= F.length();
    }

    /**
     * F32 im2col with vector rows: the plane arrives in one bulk copy and is spread into a zero-bordered copy;
     * each output row of each (ki, kj) block is then a few vector moves (the last one overlapping, which
     * writes the same values twice) rather than a copy call per row, which cost more than the moves with rows
     * of 14 or 28 elements.
     */
    private static void im2colF32(View x, ConvGeometry g, View cols, boolean batchColumns) {
        MemorySegment xs = x.segment();
        MemorySegment cs = cols.segment();
        int oh = g.outH();
        int ow = g.outW();
        int h = g.h();
        int w = g.w();
        int paddedW = w + 2 * g.padW();
        int paddedH = h + 2 * g.padH();
        int plane = oh * ow;
        Planes planes = Planes.of(g, batchColumns);
        int lanes = F.length();
        int last = ow - lanes;
        Runs.parallel(planes.count(), planes.work(), (from, to) -> {
            float[] raw = new float[h * w];
            float[] padded = new float[paddedH * paddedW]; // borders stay zero: only the interior is written
            for (long p = from; p < to; p++) {
                int n = planes.image(p);
                int ch = planes.channel(p);
                MemorySegment.copy(xs, F32, (x.offset() + ((long) n * g.c() + ch) * h * w) * 4, raw, 0, h * w);
                for (int iy = 0; iy < h; iy++) {
                    System.arraycopy(raw, iy * w, padded, (iy + g.padH()) * paddedW + g.padW(), w);
                }
                for (int ki = 0; ki < g.kh(); ki++) {
                    for (int kj = 0; kj < g.kw(); kj++) {
                        long row = ((long) ch * g.kh() + ki) * g.kw() + kj;
                        long dst = (cols.offset() + planes.block(n, row)) * 4;
                        for (int y = 0; y < oh; y++, dst += ow * 4L) {
                            int src = (y * g.strideH() + ki * g.dilationH()) * paddedW + kj;
                            for (int xx = 0; xx < last; xx += lanes) {
                                FloatVector.fromArray(F, padded, src + xx).intoMemorySegment(cs, dst + xx * 4L, NO);
                            }
                            FloatVector.fromArray(F, padded, src + last).intoMemorySegment(cs, dst + last * 4L, NO);
                        }
                    }
                }
            }
            return 0;
        });
    }

    /**
     * im2col straight from the segments, row by row: for planes too large to copy. With a horizontal stride of
     * 1 each output row is a shifted input row, one bulk copy between its zero-padding margins.
     */
    private static void im2colInPlace(View x, ConvGeometry g, View cols, boolean batchColumns) {
        MemorySegment xs = x.segment();
        MemorySegment cs = cols.segment();
        int es = x.dtype().byteSize();
        CopyKernels.Converter move = CopyKernels.raw(es);
        int oh = g.outH();
        int ow = g.outW();
        long plane = (long) oh * ow;
        Planes planes = Planes.of(g, batchColumns);
        Runs.parallel(planes.count(), planes.work(), (from, to) -> {
            for (long p = from; p < to; p++) {
                int n = planes.image(p);
                int ch = planes.channel(p);
                long xPlane = x.offset() + ((long) n * g.c() + ch) * g.h() * g.w();
                for (int ki = 0; ki < g.kh(); ki++) {
                    for (int kj = 0; kj < g.kw(); kj++) {
                        long row = ((long) ch * g.kh() + ki) * g.kw() + kj;
                        long colBase = cols.offset() + planes.block(n, row);
                        int ix0 = kj * g.dilationW() - g.padW();
                        int lo = firstInside(ix0, g.strideW(), ow);
                        int hi = endInside(ix0, g.strideW(), ow, g.w());
                        for (int y = 0; y < oh; y++) {
                            int iy = y * g.strideH() - g.padH() + ki * g.dilationH();
                            long dst = colBase + (long) y * ow;
                            if (iy < 0 || iy >= g.h() || lo >= hi) {
                                zero(cs, es, dst, ow);
                                continue;
                            }
                            zero(cs, es, dst, lo);
                            long src = xPlane + (long) iy * g.w() + ix0 + (long) lo * g.strideW();
                            move.run(xs, src, g.strideW(), cs, dst + lo, 1, hi - lo);
                            zero(cs, es, dst + hi, ow - hi);
                        }
                    }
                }
            }
            return 0;
        });
    }

    /**
     * F32 and F64: {@code x += fold(cols)}; planes are disjoint, so tasks never write the same element.
     * {@code batchColumns} as in {@link #im2col}.
     */
    static void col2im(View cols, ConvGeometry g, View x, boolean batchColumns) {
        col2im(cols, g, x, batchColumns, SCRATCH_MAX);
    }

    /** As {@link #col2im(View, ConvGeometry, View, boolean)}, with the plane size above which no scratch is used. */
    static void col2im(View cols, ConvGeometry g, View x, boolean batchColumns, long scratchMax) {
        if (x.dtype() == DType.F32 && (long) (g.h() + 2 * g.padH()) * (g.w() + 2 * g.padW()) * 4 <= scratchMax) {
            if (vectorRows(g)) {
                col2imRowsF32(cols, g, x, batchColumns);
                return;
            }
            col2imF32(cols, g, x, batchColumns);
        } else {
            col2imInPlace(cols, g, x, batchColumns);
        }
    }

    /**
     * F32 col2im through a zero-bordered heap copy of each plane: the plane is read in, every (ki, kj) block
     * of L elements arrives in one bulk copy and is added row by row without bounds tests, and the interior
     * goes back. Each element receives its additions in the same order as in place (and in the reference).
     */
    private static void col2imF32(View cols, ConvGeometry g, View x, boolean batchColumns) {
        MemorySegment xs = x.segment();
        MemorySegment cs = cols.segment();
        int oh = g.outH();
        int ow = g.outW();
        int h = g.h();
        int w = g.w();
        int paddedW = w + 2 * g.padW();
        int paddedH = h + 2 * g.padH();
        int plane = oh * ow;
        Planes planes = Planes.of(g, batchColumns);
        int sw = g.strideW();
        int lanes = F.length();
        Runs.parallel(planes.count(), planes.work(), (from, to) -> {
            float[] padded = new float[paddedH * paddedW];
            float[] block = new float[plane];
            for (long p = from; p < to; p++) {
                int n = planes.image(p);
                int ch = planes.channel(p);
                long xPlane = x.offset() + ((long) n * g.c() + ch) * h * w;
                java.util.Arrays.fill(padded, 0f);
                for (int iy = 0; iy < h; iy++) {
                    MemorySegment.copy(xs, F32, (xPlane + (long) iy * w) * 4, padded, (iy + g.padH()) * paddedW + g.padW(), w);
                }
                for (int ki = 0; ki < g.kh(); ki++) {
                    for (int kj = 0; kj < g.kw(); kj++) {
                        long row = ((long) ch * g.kh() + ki) * g.kw() + kj;
                        long colBase = cols.offset() + planes.block(n, row);
                        MemorySegment.copy(cs, F32, colBase * 4, block, 0, plane);
                        for (int y = 0; y < oh; y++) {
                            int dst = (y * g.strideH() + ki * g.dilationH()) * paddedW + kj * g.dilationW();
                            int src = y * ow;
                            int xx = 0;
                            if (sw == 1) {
                                for (int up = ow - ow % lanes; xx < up; xx += lanes) {
                                    FloatVector.fromArray(F, padded, dst + xx).add(FloatVector.fromArray(F, block, src + xx))
                                            .intoArray(padded, dst + xx);
                                }
                            }
                            for (; xx < ow; xx++) {
                                padded[dst + xx * sw] += block[src + xx];
                            }
                        }
                    }
                }
                for (int iy = 0; iy < h; iy++) {
                    MemorySegment.copy(padded, (iy + g.padH()) * paddedW + g.padW(), xs, F32, (xPlane + (long) iy * w) * 4, w);
                }
            }
            return 0;
        });
    }

    /**
     * F32 col2im gathering rather than scattering: each input row is computed in vectors as its old value plus
     * the shifted rows of every (ki, kj) block that reach it, in (ki, kj) order, so each element receives its
     * additions in the same order as in {@link #col2imF32} and the reference. The blocks are copied into rows with
     * a margin of {@code kw} elements each side holding -0.0, the one value whose addition changes nothing
     * (not even a zero's sign), so a vector that reaches past a block row's ends needs no test. All vectors read
     * the plane's old values and write a separate result, so the last, overlapping vector of a row writes the
     * same bits twice.
     */
    private static void col2imRowsF32(View cols, ConvGeometry g, View x, boolean batchColumns) {
        MemorySegment xs = x.segment();
        MemorySegment cs = cols.segment();
        int oh = g.outH();
        int ow = g.outW();
        int h = g.h();
        int w = g.w();
        int kh = g.kh();
        int kw = g.kw();
        int plane = oh * ow;
        int rowW = ow + 2 * kw;
        int blockW = oh * rowW;
        Planes planes = Planes.of(g, batchColumns);
        int lanes = F.length();
        int last = w - lanes;
        int lastCol = ow - lanes;
        // for input row iy and kernel row ki: where output row y's block row starts in a block, or -1 when no y
        // has y * strideH - padH + ki * dilationH == iy (divisions kept out of the loop)
        int[] rowAt = new int[h * kh];
        for (int iy = 0; iy < h; iy++) {
            for (int ki = 0; ki < kh; ki++) {
                int num = iy + g.padH() - ki * g.dilationH();
                boolean hit = num >= 0 && num % g.strideH() == 0 && num / g.strideH() < oh;
                rowAt[iy * kh + ki] = hit ? ki * kw * blockW + kw + num / g.strideH() * rowW + g.padW() : -1;
            }
        }
        Runs.parallel(planes.count(), planes.work(), (from, to) -> {
            float[] old = new float[h * w];
            float[] sum = new float[h * w];
            float[] blocks = new float[kh * kw * blockW];
            java.util.Arrays.fill(blocks, -0.0f); // the margins; interiors are overwritten for every plane
            for (long p = from; p < to; p++) {
                int n = planes.image(p);
                int ch = planes.channel(p);
                long xPlane = (x.offset() + ((long) n * g.c() + ch) * h * w) * 4;
                for (int kk = 0; kk < kh * kw; kk++) {
                    long row = (long) ch * kh * kw + kk;
                    long src = (cols.offset() + planes.block(n, row)) * 4;
                    int base = kk * blockW + kw;
                    for (int y = 0; y < oh; y++, src += ow * 4L) {
                        int dst = base + y * rowW;
                        for (int xx = 0; xx < lastCol; xx += lanes) {
                            FloatVector.fromMemorySegment(F, cs, src + xx * 4L, NO).intoArray(blocks, dst + xx);
                        }
                        FloatVector.fromMemorySegment(F, cs, src + lastCol * 4L, NO).intoArray(blocks, dst + lastCol);
                    }
                }
                MemorySegment.copy(xs, F32, xPlane, old, 0, h * w);
                for (int iy = 0; iy < h; iy++) {
                    for (int ix = 0; ; ix = Math.min(ix + lanes, last)) {
                        FloatVector acc = FloatVector.fromArray(F, old, iy * w + ix);
                        for (int ki = 0; ki < kh; ki++) {
                            int start = rowAt[iy * kh + ki];
                            if (start < 0) {
                                continue;
                            }
                            int at = start + ix;
                            for (int kj = 0; kj < kw; kj++) {
                                acc = acc.add(FloatVector.fromArray(F, blocks, at + kj * blockW - kj));
                            }
                        }
                        acc.intoArray(sum, iy * w + ix);
                        if (ix == last) {
                            break;
                        }
                    }
                }
                MemorySegment.copy(sum, 0, xs, F32, xPlane, h * w);
            }
            return 0;
        });
    }

    /** col2im straight into the segment, row by row (F64, and F32 planes too large to copy). */
    private static void col2imInPlace(View cols, ConvGeometry g, View x, boolean batchColumns) {
        MemorySegment xs = x.segment();
        MemorySegment cs = cols.segment();
        boolean f64 = x.dtype() == DType.F64;
        int oh = g.outH();
        int ow = g.outW();
        long plane = (long) oh * ow;
        Planes planes = Planes.of(g, batchColumns);
        Runs.parallel(planes.count(), planes.work(), (from, to) -> {
            for (long p = from; p < to; p++) {
                int n = planes.image(p);
                int ch = planes.channel(p);
                long xPlane = x.offset() + ((long) n * g.c() + ch) * g.h() * g.w();
                for (int ki = 0; ki < g.kh(); ki++) {
                    for (int kj = 0; kj < g.kw(); kj++) {
                        long row = ((long) ch * g.kh() + ki) * g.kw() + kj;
                        long colBase = cols.offset() + planes.block(n, row);
                        int ix0 = kj * g.dilationW() - g.padW();
                        int lo = firstInside(ix0, g.strideW(), ow);
                        int hi = endInside(ix0, g.strideW(), ow, g.w());
                        if (lo >= hi) {
                            continue;
                        }
                        for (int y = 0; y < oh; y++) {
                            int iy = y * g.strideH() - g.padH() + ki * g.dilationH();
                            if (iy < 0 || iy >= g.h()) {
                                continue;
                            }
                            long src = colBase + (long) y * ow + lo;
                            long dst = xPlane + (long) iy * g.w() + ix0 + (long) lo * g.strideW();
                            if (f64) {
                                addF64(cs, src, xs, dst, g.strideW(), hi - lo);
                            } else {
                                addF32(cs, src, xs, dst, g.strideW(), hi - lo);
                            }
                        }
                    }
                }
            }
            return 0;
        });
    }

    /** First output column whose input column {@code ix0 + xx * stride} is not left of the image. */
    private static int firstInside(int ix0, int stride, int ow) {
        if (ix0 >= 0) {
            return 0;
        }
        return (int) Math.min(ow, ((long) -ix0 + stride - 1) / stride);
    }

    /** One past the last output column whose input column lies inside an image of width {@code w}. */
    private static int endInside(int ix0, int stride, int ow, int w) {
        if (ix0 >= w) {
            return 0;
        }
        return (int) Math.min(ow, ((long) w - 1 - ix0) / stride + 1);
    }

    private static void zero(MemorySegment s, int es, long at, int n) {
        if (n > 0) {
            s.asSlice(at * es, (long) n * es).fill((byte) 0);
        }
    }

    private static void addF32(MemorySegment c, long ci, MemorySegment x, long xi, int step, int n) {
        int i = 0;
        if (step == 1) {
            int lanes = F.length();
            for (int up = n - n % lanes; i < up; i += lanes) {
                FloatVector a = FloatVector.fromMemorySegment(F, x, (xi + i) * 4, NO);
                a.add(FloatVector.fromMemorySegment(F, c, (ci + i) * 4, NO)).intoMemorySegment(x, (xi + i) * 4, NO);
            }
        }
        for (; i < n; i++) {
            long at = xi + (long) i * step;
            x.setAtIndex(F32, at, x.getAtIndex(F32, at) + c.getAtIndex(F32, ci + i));
        }
    }

    private static void addF64(MemorySegment c, long ci, MemorySegment x, long xi, int step, int n) {
        for (int i = 0; i < n; i++) {
            long at = xi + (long) i * step;
            x.setAtIndex(F64, at, x.getAtIndex(F64, at) + c.getAtIndex(F64, ci + i));
        }
    }

    /**
     * The planes of an im2col or col2im, one task each: the order they are visited in and where each plane's
     * columns lie, per image {@code [n, c*kh*kw, L]} or the batch side by side {@code [c*kh*kw, n*L]}.
     */
    private record Planes(ConvGeometry g, boolean batchColumns, long imageStride, long rowStride, long work) {
        static Planes of(ConvGeometry g, boolean batchColumns) {
            long plane = (long) g.outH() * g.outW();
            long colRows = (long) g.c() * g.kh() * g.kw();
            return new Planes(g, batchColumns, batchColumns ? plane : colRows * plane, batchColumns ? g.n() * plane : plane,
                    g.kh() * g.kw() * plane);
        }

        long count() {
            return (long) g.n() * g.c();
        }

        /**
         * The image of task {@code p}: batch columns visit the images of one channel in turn, so each column row
         * is read or written in order.
         */
        int image(long p) {
            return (int) (batchColumns ? p % g.n() : p / g.c());
        }

        int channel(long p) {
            return (int) (batchColumns ? p / g.n() : p % g.c());
        }

        /** Where image {@code n}'s block of column row {@code row} ({@code (ch * kh + ki) * kw + kj}) starts. */
        long block(int n, long row) {
            return n * imageStride + row * rowStride;
        }
    }
}
