package dev.anvil.backend.cuda;

import dev.anvil.DType;
import dev.anvil.spi.ConvGeometry;
import dev.anvil.spi.View;

/** gather, scatterAdd (index.cu) and im2col, col2im (conv.cu). */
final class IndexOps {
    private static final int THREADS = 256;
    private final Device dev;

    IndexOps(Device dev) {
        this.dev = dev;
    }

    private static DType indexType(String op, View index) {
        DType it = index.dtype();
        if (it != DType.I64 && it != DType.I32) {
            throw new IllegalArgumentException(op + ": index must be I64 or I32, got " + it);
        }
        return it;
    }

    private static void throwIfBad(String op, long[] report, int axis, int size) {
        if (report[0] != 0) {
            throw new IllegalArgumentException(op + ": index " + report[1] + " is out of range for axis " + axis + " of size " + size);
        }
    }

    void gather(View x, int axis, View index, View out) {
        DType it = indexType("gather", index);
        int size = x.shape()[axis];
        long step = x.layout().stride(axis);
        int es = x.dtype().byteSize();
        int[] shape = index.shape();
        Strided geometry = Strided.of(shape, index.layout(), out.layout(), Operands.alongAxis(x, axis, shape));
        long xb = Operands.base(x);
        long ib = Operands.base(index);
        long ob = Operands.base(out);
        try (Operands.ErrorReport err = new Operands.ErrorReport(dev)) {
            geometry.forEachLaunch(s -> dev.launch(Kernel.GATHER, dev.blocks(s.numel, THREADS), THREADS, Launch.args().i32(es)
                    .i32(it.ordinal()).i64(s.numel).strided(s).i64(size).i64(step).ptr(xb).ptr(ib).ptr(ob).ptr(err.address())));
            throwIfBad("gather", err.read(), axis, size);
        }
    }

    void scatterAdd(View src, int axis, View index, View out) {
        DType it = indexType("scatterAdd", index);
        DType t = out.dtype();
        if (t.isHalf()) {
            throw new IllegalArgumentException("scatterAdd: the cuda backend accumulates F32, F64 and integer types, got " + t);
        }
        int size = out.shape()[axis];
        long step = out.layout().stride(axis);
        int[] shape = index.shape();
        Strided geometry = Strided.of(shape, index.layout(), src.layout(), Operands.alongAxis(out, axis, shape));
        long sb = Operands.base(src);
        long ib = Operands.base(index);
        long ob = Operands.base(out);
        try (Operands.ErrorReport err = new Operands.ErrorReport(dev)) {
            geometry.forEachLaunch(s -> dev.launch(Kernel.SCATTER_ADD, dev.blocks(s.numel, THREADS), THREADS, Launch.args()
                    .i32(t.ordinal()).i32(it.ordinal()).i64(s.numel).strided(s).i64(size).i64(step).ptr(sb).ptr(ib).ptr(ob)
                    .ptr(err.address())));
            throwIfBad("scatterAdd", err.read(), axis, size);
        }
    }

    private static int[] conv(ConvGeometry g) {
        return new int[] {g.n(), g.c(), g.h(), g.w(), g.kh(), g.kw(), g.strideH(), g.strideW(), g.padH(), g.padW(),
            g.dilationH(), g.dilationW(), g.outH(), g.outW()};
    }

    private static boolean f64(String op, View v) {
        if (v.dtype() != DType.F32 && v.dtype() != DType.F64) {
            throw new IllegalArgumentException(op + ": the cuda backend needs F32 or F64, got " + v.dtype());
        }
        return v.dtype() == DType.F64;
    }

    void im2col(View x, ConvGeometry g, View cols) {
        long total = cols.numel();
        Kernel k = f64("im2col", x) ? Kernel.IM2COL_F64 : Kernel.IM2COL_F32;
        dev.launch(k, dev.blocks(total, THREADS), THREADS,
                Launch.args().ints(conv(g)).i64(total).ptr(Operands.first(x)).ptr(Operands.first(cols)));
    }

    void col2im(View cols, ConvGeometry g, View x) {
        long total = x.numel();
        Kernel k = f64("col2im", x) ? Kernel.COL2IM_F64 : Kernel.COL2IM_F32;
        dev.launch(k, dev.blocks(total, THREADS), THREADS,
                Launch.args().ints(conv(g)).i64(total).ptr(Operands.first(cols)).ptr(Operands.first(x)));
    }
}
