package dev.anvil;

import dev.anvil.spi.Backend;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** concat, stack, split, chunk, oneHot, gather, indexSelect, scatterAdd. */
final class Indexing {
    private Indexing() {
    }

    static Tensor concat(int axis, List<Tensor> tensors) {
        if (tensors.isEmpty()) {
            throw new IllegalArgumentException("concat: needs at least one tensor");
        }
        Backend be = Exec.backend("concat", tensors.toArray(new Tensor[0]));
        Tensor first = tensors.get(0);
        int r = first.rank();
        if (r == 0) {
            throw new IllegalArgumentException("concat: 0-d tensors cannot be joined; use stack");
        }
        int a = Shape.normalizeAxis(axis, r, "concat: axis");
        DType t = first.dtype();
        long total = 0;
        for (Tensor x : tensors) {
            if (x.rank() != r) {
                throw new IllegalArgumentException("concat: tensors must have the same rank, got " + first.shape()
                        + " and " + x.shape());
            }
            for (int i = 0; i < r; i++) {
                if (i != a && x.layout().dim(i) != first.layout().dim(i)) {
                    throw new IllegalArgumentException("concat: shapes " + first.shape() + " and " + x.shape()
                            + " differ in dimension " + i + " (joining along axis " + a + ")");
                }
            }
            t = DType.promote(t, x.dtype());
            total += x.layout().dim(a);
        }
        if (total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("concat: result dimension " + total + " is too large");
        }
        int[] dims = first.dims();
        dims[a] = (int) total;
        Tensor out = Exec.empty(be, t, dims);
        long at = 0;
        long[] starts = new long[tensors.size()];
        int i = 0;
        for (Tensor x : tensors) {
            int len = x.layout().dim(a);
            starts[i++] = at;
            if (len > 0 && x.numel() > 0) {
                Tensor dst = out.slice(a, at, at + len);
                be.copy(x.cast(t).view(), dst.view());
            }
            at += len;
        }
        Tensor[] inputs = tensors.toArray(new Tensor[0]);
        if (t.isFloating() && Autograd.needed(inputs)) {
            Autograd.record(out, "concat", g -> {
                Tensor[] grads = new Tensor[inputs.length];
                for (int j = 0; j < inputs.length; j++) {
                    if (inputs[j].requiresGrad()) {
                        grads[j] = g.slice(a, starts[j], starts[j] + inputs[j].layout().dim(a)).cast(inputs[j].dtype());
                    }
                }
                return grads;
            }, inputs);
        }
        return out;
    }

    static Tensor stack(int axis, List<Tensor> tensors) {
        if (tensors.isEmpty()) {
            throw new IllegalArgumentException("stack: needs at least one tensor");
        }
        Shape s = tensors.get(0).shape();
        int a = Shape.normalizeAxis(axis, s.rank() + 1, "stack: axis");
        List<Tensor> expanded = new ArrayList<>();
        for (Tensor t : tensors) {
            if (!t.shape().equals(s)) {
                throw new IllegalArgumentException("stack: tensors must have the same shape, got " + s + " and " + t.shape());
            }
            expanded.add(t.unsqueeze(a));
        }
        return concat(a, expanded);
    }

    static List<Tensor> split(Tensor t, int size, int axis) {
        if (size <= 0) {
            throw new IllegalArgumentException("split: size must be positive, got " + size);
        }
        int a = Shape.normalizeAxis(axis, t.rank(), "split: axis");
        int n = t.layout().dim(a);
        List<Tensor> parts = new ArrayList<>();
        for (int s = 0; s < n; s += size) {
            parts.add(t.slice(a, s, Math.min(n, s + size)));
        }
        if (n == 0) {
            parts.add(t);
        }
        return parts;
    }

    static List<Tensor> split(Tensor t, int[] sizes, int axis) {
        int a = Shape.normalizeAxis(axis, t.rank(), "split: axis");
        int n = t.layout().dim(a);
        long sum = 0;
        for (int s : sizes) {
            if (s < 0) {
                throw new IllegalArgumentException("split: negative size in " + Arrays.toString(sizes));
            }
            sum += s;
        }
        if (sum != n) {
            throw new IllegalArgumentException("split: sizes " + Arrays.toString(sizes) + " add up to " + sum
                    + " but axis " + axis + " of " + t.describe() + " has " + n);
        }
        List<Tensor> parts = new ArrayList<>();
        int at = 0;
        for (int s : sizes) {
            parts.add(t.slice(a, at, at + s));
            at += s;
        }
        return parts;
    }

    static List<Tensor> chunk(Tensor t, int chunks, int axis) {
        if (chunks <= 0) {
            throw new IllegalArgumentException("chunk: number of chunks must be positive, got " + chunks);
        }
        int a = Shape.normalizeAxis(axis, t.rank(), "chunk: axis");
        int n = t.layout().dim(a);
        int size = Math.max(1, (n + chunks - 1) / chunks);
        return split(t, size, a);
    }

    static Tensor oneHot(Tensor indices, int numClasses) {
        Exec.backend("oneHot", indices);
        if (indices.dtype().isFloating()) {
            throw new IllegalArgumentException("oneHot: indices must be integers, got " + indices.describe());
        }
        if (numClasses <= 0) {
            throw new IllegalArgumentException("oneHot: numClasses must be positive, got " + numClasses);
        }
        if (indices.numel() > 0) {
            long lo = indices.min().itemLong();
            long hi = indices.max().itemLong();
            if (lo < 0 || hi >= numClasses) {
                throw new IllegalArgumentException("oneHot: class index " + (lo < 0 ? lo : hi) + " is outside [0, "
                        + numClasses + ")");
            }
        }
        Tensor classes;
        try (var on = Backends.use(indices.backend())) {
            classes = Tensor.arange(numClasses);
        }
        return indices.cast(DType.I64).unsqueeze(-1).eq(classes).cast(DType.I64);
    }

    private static void checkIndex(String op, Tensor index) {
        if (index.dtype() != DType.I64 && index.dtype() != DType.I32) {
            throw new IllegalArgumentException(op + ": index must be I64 or I32, got " + index.describe());
        }
    }

    static Tensor gather(Tensor x, int axis, Tensor index) {
        Backend be = Exec.backend("gather", x, index);
        checkIndex("gather", index);
        int a = Shape.normalizeAxis(axis, x.rank(), "gather: axis");
        if (index.rank() != x.rank()) {
            throw new IllegalArgumentException("gather: index " + index.shape() + " must have the rank of the input "
                    + x.shape());
        }
        for (int i = 0; i < x.rank(); i++) {
            if (i != a && index.layout().dim(i) > x.layout().dim(i)) {
                throw new IllegalArgumentException("gather: index " + index.shape() + " is larger than input " + x.shape()
                        + " in dimension " + i);
            }
        }
        DType t = x.dtype().isHalf() ? DType.F32 : x.dtype();
        Tensor src = x.cast(t);
        Tensor out = Exec.empty(be, t, index.dims());
        if (out.numel() > 0) {
            if (x.layout().dim(a) == 0) {
                throw new IllegalArgumentException("gather: axis " + a + " of " + x.describe() + " is empty");
            }
            be.gather(src.view(), a, index.view(), out.view());
        }
        if (t.isFloating() && Autograd.needed(src)) {
            int[] dims = src.dims();
            Autograd.record(out, "gather", g -> new Tensor[] {Tensor.zeros(Shape.of(dims), g.dtype()).scatterAdd(a, index, g)}, src);
        }
        return out;
    }

    static Tensor indexSelect(Tensor x, int axis, Tensor index) {
        Exec.backend("indexSelect", x, index);
        checkIndex("indexSelect", index);
        if (index.rank() != 1) {
            throw new IllegalArgumentException("indexSelect: index must be 1-D, got " + index.shape());
        }
        int a = Shape.normalizeAxis(axis, x.rank(), "indexSelect: axis");
        int[] outDims = x.dims();
        outDims[a] = index.dim(0);
        int[] idxShape = new int[x.rank()];
        Arrays.fill(idxShape, 1);
        idxShape[a] = index.dim(0);
        Tensor idx = index.reshape(idxShape).expand(outDims);
        return gather(x, a, idx);
    }

    static Tensor scatterAdd(Tensor x, int axis, Tensor index, Tensor src) {
        Backend be = Exec.backend("scatterAdd", x, index, src);
        checkIndex("scatterAdd", index);
        int a = Shape.normalizeAxis(axis, x.rank(), "scatterAdd: axis");
        if (index.rank() != x.rank() || !index.shape().equals(src.shape())) {
            throw new IllegalArgumentException("scatterAdd: index " + index.shape() + " and src " + src.shape()
                    + " must have the same shape, and the rank of the input " + x.shape());
        }
        for (int i = 0; i < x.rank(); i++) {
            if (i != a && index.layout().dim(i) > x.layout().dim(i)) {
                throw new IllegalArgumentException("scatterAdd: index " + index.shape() + " is larger than input "
                        + x.shape() + " in dimension " + i);
            }
        }
        DType t = DType.promote(x.dtype(), src.dtype());
        Tensor base = x.cast(t);
        Tensor add = src.cast(t);
        Tensor out = Exec.empty(be, t, x.dims());
        if (out.numel() > 0) {
            be.copy(base.view(), out.view());
        }
        if (index.numel() > 0) {
            be.scatterAdd(add.view(), a, index.view(), out.view());
        }
        if (t.isFloating() && Autograd.needed(base, add)) {
            Autograd.record(out, "scatterAdd", g -> new Tensor[] {base.requiresGrad() ? g : null, null,
                add.requiresGrad() ? g.gather(a, index) : null}, base, index, add);
        }
        return out;
    }
}
