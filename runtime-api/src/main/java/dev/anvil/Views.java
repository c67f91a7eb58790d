package dev.anvil;

import dev.anvil.spi.Backend;
import dev.anvil.spi.Layout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Views that share storage: reshape, permute, slice, expand, squeeze; and the copies they fall back to. */
final class Views {
    private Views() {
    }

    static Tensor view(Tensor t, int[] shape, long[] strides, long offset) {
        return new Tensor(t.storage(), t.dtype(), new Layout(shape, strides, offset));
    }

    static Tensor copy(Tensor t, DType target) {
        Backend b = Exec.backend("copy", t);
        Tensor out = Exec.empty(b, target, t.dims());
        if (t.numel() > 0) {
            b.copy(t.view(), out.view());
        }
        if (target.isFloating() && Autograd.needed(t)) {
            Autograd.record(out, "copy", g -> new Tensor[] {g.cast(t.dtype())}, t);
        }
        return out;
    }

    /** Records a view's backward: {@code back} maps the view's gradient to the source's. */
    private static Tensor recorded(Tensor out, String op, Tensor src, java.util.function.UnaryOperator<Tensor> back) {
        if (Autograd.needed(src)) {
            Autograd.record(out, op, g -> new Tensor[] {back.apply(g)}, src);
        }
        return out;
    }

    static Tensor reshape(Tensor t, int[] shape) {
        Exec.backend("reshape", t);
        int[] target;
        if (shape.length == 0) {
            if (t.numel() != 1) {
                throw new IllegalArgumentException("reshape of " + t.describe() + ": only a one-element tensor becomes a 0-d scalar");
            }
            target = shape;
        } else {
            target = Creation.resolveShape(() -> "reshape of " + t.describe(), t.numel(), shape);
        }
        long[] strides = viewStrides(t.layout(), target);
        int[] from = t.dims();
        if (strides != null) {
            return recorded(view(t, target, strides, t.layout().offset()), "reshape", t, g -> g.reshape(from));
        }
        Tensor c = copy(t, t.dtype()).detach();
        return recorded(view(c, target, Layout.contiguousStrides(target), 0), "reshape", t, g -> g.reshape(from));
    }

    /**
     * Strides that express {@code target} over {@code from}'s elements without copying, or null when the
     * layout cannot (PyTorch's computeStride): each run of target dims must sit inside a run of source dims
     * that are contiguous with respect to each other.
     */
    static long[] viewStrides(Layout from, int[] target) {
        int[] old = from.shape();
        long[] oldStrides = from.strides();
        long[] out = new long[target.length];
        if (Layout.numel(old) == 0 || from.isContiguous()) {
            return Layout.contiguousStrides(target);
        }
        int viewD = target.length - 1;
        long chunkBase = oldStrides.length == 0 ? 1 : oldStrides[oldStrides.length - 1];
        long tensorNumel = 1;
        long viewNumel = 1;
        for (int d = old.length - 1; d >= 0; d--) {
            tensorNumel *= old[d];
            if (d == 0 || (old[d - 1] != 1 && oldStrides[d - 1] != tensorNumel * chunkBase)) {
                while (viewD >= 0 && (viewNumel < tensorNumel || target[viewD] == 1)) {
                    out[viewD] = viewNumel * chunkBase;
                    viewNumel *= target[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel) {
                    return null;
                }
                if (d > 0) {
                    chunkBase = oldStrides[d - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        if (viewD != -1) {
            return null;
        }
        return out;
    }

    static Tensor flatten(Tensor t, int start, int end) {
        int r = t.rank();
        if (r == 0) {
            return reshape(t, new int[] {1});
        }
        int s = Shape.normalizeAxis(start, r, "flatten: start axis");
        int e = Shape.normalizeAxis(end, r, "flatten: end axis");
        if (s > e) {
            throw new IllegalArgumentException("flatten: start axis " + start + " is after end axis " + end);
        }
        int[] dims = t.dims();
        List<Integer> shape = new ArrayList<>();
        for (int i = 0; i < s; i++) {
            shape.add(dims[i]);
        }
        long merged = 1;
        for (int i = s; i <= e; i++) {
            merged *= dims[i];
        }
        shape.add((int) merged);
        for (int i = e + 1; i < r; i++) {
            shape.add(dims[i]);
        }
        return reshape(t, shape.stream().mapToInt(Integer::intValue).toArray());
    }

    static Tensor permute(Tensor t, int[] axes) {
        Exec.backend("permute", t);
        int r = t.rank();
        if (axes.length != r) {
            throw new IllegalArgumentException("permute: " + axes.length + " axes " + Arrays.toString(axes)
                    + " for a tensor of rank " + r + " (" + t.describe() + ")");
        }
        boolean[] seen = new boolean[r];
        int[] shape = new int[r];
        long[] strides = new long[r];
        for (int i = 0; i < r; i++) {
            int a = Shape.normalizeAxis(axes[i], r, "permute: axis");
            if (seen[a]) {
                throw new IllegalArgumentException("permute: axis " + axes[i] + " repeated in " + Arrays.toString(axes));
            }
            seen[a] = true;
            shape[i] = t.layout().dim(a);
            strides[i] = t.layout().stride(a);
        }
        int[] inverse = new int[r];
        for (int i = 0; i < r; i++) {
            inverse[Shape.normalizeAxis(axes[i], r, "permute: axis")] = i;
        }
        return recorded(view(t, shape, strides, t.layout().offset()), "permute", t, g -> g.permute(inverse));
    }

    static Tensor transpose(Tensor t, int a, int b) {
        int r = t.rank();
        int x = Shape.normalizeAxis(a, r, "transpose: axis");
        int y = Shape.normalizeAxis(b, r, "transpose: axis");
        int[] axes = new int[r];
        for (int i = 0; i < r; i++) {
            axes[i] = i;
        }
        axes[x] = y;
        axes[y] = x;
        return permute(t, axes);
    }

    static Tensor slice(Tensor t, int axis, long start, long end, long step) {
        Exec.backend("slice", t);
        int a = Shape.normalizeAxis(axis, t.rank(), "slice: axis");
        if (step <= 0) {
            throw new IllegalArgumentException("slice: step must be positive, got " + step);
        }
        int size = t.layout().dim(a);
        long s = clampIndex(start, size);
        long e = clampIndex(end, size);
        int n = e <= s ? 0 : (int) ((e - s + step - 1) / step);
        int[] shape = t.dims();
        long[] strides = t.layout().strides();
        shape[a] = n;
        long offset = t.layout().offset() + (n == 0 ? 0 : s * strides[a]);
        strides[a] *= step;
        int[] from = t.dims();
        return recorded(view(t, shape, strides, offset), "slice", t, g -> {
            Tensor z = Tensor.zeros(Shape.of(from), g.dtype());
            z.slice(a, start, end, step).copyFrom(g);
            return z;
        });
    }

    private static long clampIndex(long i, int size) {
        long v = i < 0 ? i + size : i;
        return Math.max(0, Math.min(size, v));
    }

    static Tensor select(Tensor t, int axis, long index) {
        int a = Shape.normalizeAxis(axis, t.rank(), "select: axis");
        int size = t.layout().dim(a);
        long i = index < 0 ? index + size : index;
        if (i < 0 || i >= size) {
            throw new IllegalArgumentException("select: index " + index + " is out of range for axis " + axis
                    + " of size " + size + " (" + t.describe() + ")");
        }
        Tensor s = slice(t, a, i, i + 1, 1);
        return squeeze(s, a);
    }

    static Tensor expand(Tensor t, int[] shape) {
        if (t.hasDims(shape)) {
            return t;
        }
        Exec.backend("expand", t);
        int r = shape.length;
        int tr = t.rank();
        if (r < tr) {
            throw new IllegalArgumentException("expand: target " + Arrays.toString(shape) + " has fewer dimensions than "
                    + t.describe());
        }
        int[] dims = t.dims();
        long[] st = t.layout().strides();
        int[] outShape = new int[r];
        long[] outStrides = new long[r];
        for (int i = 0; i < r; i++) {
            int j = i - (r - tr);
            int want = shape[i];
            if (j < 0) {
                if (want < 0) {
                    throw new IllegalArgumentException("expand: -1 is not allowed for the new leading dimension " + i
                            + " in " + Arrays.toString(shape));
                }
                outShape[i] = want;
                outStrides[i] = 0;
            } else if (want == -1 || want == dims[j]) {
                outShape[i] = dims[j];
                outStrides[i] = st[j];
            } else if (dims[j] == 1 && want >= 0) {
                outShape[i] = want;
                outStrides[i] = 0;
            } else {
                throw new IllegalArgumentException("expand: cannot broadcast " + t.describe() + " to " + Arrays.toString(shape)
                        + " (dimension " + i + ": " + dims[j] + " vs " + want + ")");
            }
        }
        return recorded(view(t, outShape, outStrides, t.layout().offset()), "expand", t, g -> Autograd.sumTo(g, dims));
    }

    static Tensor squeeze(Tensor t) {
        Exec.backend("squeeze", t);
        int[] dims = t.dims();
        long[] st = t.layout().strides();
        int n = 0;
        for (int d : dims) {
            if (d != 1) {
                n++;
            }
        }
        int[] shape = new int[n];
        long[] strides = new long[n];
        int k = 0;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] != 1) {
                shape[k] = dims[i];
                strides[k++] = st[i];
            }
        }
        return recorded(view(t, shape, strides, t.layout().offset()), "squeeze", t, g -> g.reshape(dims));
    }

    static Tensor squeeze(Tensor t, int axis) {
        Exec.backend("squeeze", t);
        int a = Shape.normalizeAxis(axis, t.rank(), "squeeze: axis");
        if (t.layout().dim(a) != 1) {
            throw new IllegalArgumentException("squeeze: axis " + axis + " of " + t.describe() + " has size "
                    + t.layout().dim(a) + ", not 1");
        }
        int[] dims = t.dims();
        long[] st = t.layout().strides();
        int[] shape = new int[dims.length - 1];
        long[] strides = new long[dims.length - 1];
        for (int i = 0, k = 0; i < dims.length; i++) {
            if (i != a) {
                shape[k] = dims[i];
                strides[k++] = st[i];
            }
        }
        return recorded(view(t, shape, strides, t.layout().offset()), "squeeze", t, g -> g.reshape(dims));
    }

    static Tensor unsqueeze(Tensor t, int axis) {
        Exec.backend("unsqueeze", t);
        int a = Shape.normalizeAxis(axis, t.rank() + 1, "unsqueeze: axis");
        int[] dims = t.dims();
        long[] st = t.layout().strides();
        int[] shape = new int[dims.length + 1];
        long[] strides = new long[dims.length + 1];
        for (int i = 0, k = 0; i <= dims.length; i++) {
            if (i == a) {
                shape[i] = 1;
                strides[i] = i < dims.length ? st[i] * dims[i] : 1;
            } else {
                shape[i] = dims[k];
                strides[i] = st[k++];
            }
        }
        return recorded(view(t, shape, strides, t.layout().offset()), "unsqueeze", t, g -> g.reshape(dims));
    }
}
