package dev.anvil;

import dev.anvil.spi.Backend;
import dev.anvil.spi.Layout;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/** Factories and host transfers. */
final class Creation {
    private Creation() {
    }

    static RandomGenerator generator(long seed) {
        return new SplittableRandom(seed);
    }

    static Tensor full(Shape shape, DType dtype, double value, Backend b) {
        Tensor t = Exec.empty(b, dtype, shape.dims(), value == 0);
        if (value != 0 && t.numel() > 0) {
            b.fill(t.view(), value);
        }
        return t;
    }

    static int[] resolveShape(String op, long length, int[] shape) {
        return resolveShape(() -> op, length, shape);
    }

    /** As above, with the op's name for messages built only when one is thrown (reshape runs on every step). */
    static int[] resolveShape(java.util.function.Supplier<String> opName, long length, int[] shape) {
        if (shape.length == 0) {
            String op = opName.get();
            if (length > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(op + ": " + length + " elements do not fit one dimension");
            }
            return new int[] {(int) length};
        }
        int[] s = shape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1 && infer < 0) {
                infer = i;
            } else if (s[i] < 0) {
                throw new IllegalArgumentException(opName.get() + ": invalid shape " + Exec.str(shape));
            } else {
                known *= s[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || length % known != 0) {
                throw new IllegalArgumentException(opName.get() + ": cannot infer -1 in shape " + Exec.str(shape) + " for "
                        + length + " elements");
            }
            s[infer] = (int) (length / known);
        }
        if (Layout.numel(s) != length) {
            throw new IllegalArgumentException(opName.get() + ": shape " + Exec.str(shape) + " holds " + Layout.numel(s)
                    + " elements but the data has " + length);
        }
        return s;
    }

    static Tensor fromHeap(MemorySegment data, long length, DType dtype, int[] shape) {
        int[] s = resolveShape("fromArray", length, shape);
        Backend b = Backends.current();
        Tensor t = Exec.empty(b, dtype, s);
        if (length > 0) {
            b.copyFromHost(data, t.view());
        }
        return t;
    }

    static Tensor arange(double start, double end, double step) {
        if (step == 0 || Double.isNaN(step) || Double.isNaN(start) || Double.isNaN(end)) {
            throw new IllegalArgumentException("arange: step must be non-zero and bounds finite (start " + start
                    + ", end " + end + ", step " + step + ")");
        }
        long n = Math.max(0, (long) Math.ceil((end - start) / step));
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("arange: " + n + " elements is too many");
        }
        boolean integral = start == Math.rint(start) && end == Math.rint(end) && step == Math.rint(step);
        if (integral) {
            long[] v = new long[(int) n];
            for (int i = 0; i < n; i++) {
                v[i] = (long) start + i * (long) step;
            }
            return Tensor.fromArray(v);
        }
        float[] v = new float[(int) n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (start + i * step);
        }
        return Tensor.fromArray(v);
    }

    static Tensor linspace(double start, double end, int steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("linspace: negative number of steps " + steps);
        }
        float[] v = new float[steps];
        for (int i = 0; i < steps; i++) {
            v[i] = (float) (steps == 1 ? start : start + (end - start) * i / (steps - 1));
        }
        return Tensor.fromArray(v);
    }

    static Tensor eye(int n, int m) {
        Shape.of(n, m); // rejects negative sizes
        float[] v = new float[Math.multiplyExact(n, m)];
        for (int i = 0; i < Math.min(n, m); i++) {
            v[i * m + i] = 1;
        }
        return Tensor.fromArray(v, n, m);
    }

    static Tensor rand(Shape shape, RandomGenerator rng) {
        float[] v = new float[checkedLength(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = rng.nextFloat();
        }
        return Tensor.fromArray(v).reshape(shape.dims());
    }

    static Tensor randn(Shape shape, RandomGenerator rng) {
        float[] v = new float[checkedLength(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rng.nextGaussian();
        }
        return Tensor.fromArray(v).reshape(shape.dims());
    }

    static Tensor randint(long low, long high, Shape shape, RandomGenerator rng) {
        if (high <= low) {
            throw new IllegalArgumentException("randint: empty range [" + low + ", " + high + ")");
        }
        long[] v = new long[checkedLength(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = rng.nextLong(low, high);
        }
        return Tensor.fromArray(v).reshape(shape.dims());
    }

    private static int checkedLength(Shape shape) {
        long n = shape.numel();
        if (n > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("random tensor of shape " + shape + " is too large for one host array");
        }
        return (int) n;
    }

    static Tensor to(Tensor t, Backend target) {
        Backend from = Exec.backend("to", t);
        if (from == target) {
            return t;
        }
        Tensor src = t.contiguous();
        Tensor out = Exec.empty(target, t.dtype(), t.dims());
        if (t.numel() == 0) {
            return out;
        }
        if (from.isHost() && target.isHost()) {
            from.copy(src.view(), out.view());
            return out;
        }
        long bytes = t.numel() * t.dtype().byteSize();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(bytes, 64);
            from.copyToHost(src.view(), host);
            target.copyFromHost(host, out.view());
        }
        return out;
    }

    /** The elements, contiguous, converted to {@code type}, in a heap-backed segment of {@code numel} elements. */
    private static void readInto(Tensor t, DType type, MemorySegment heap) {
        Backend b = Exec.backend("toArray", t);
        Tensor c = t.cast(type).contiguous();
        if (c.numel() > 0) {
            b.copyToHost(c.view(), heap);
        }
    }

    private static int arrayLength(Tensor t) {
        if (t.numel() > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("toArray: " + t.describe() + " has too many elements for a Java array");
        }
        return (int) t.numel();
    }

    static float[] toFloatArray(Tensor t) {
        float[] r = new float[arrayLength(t)];
        readInto(t, DType.F32, MemorySegment.ofArray(r));
        return r;
    }

    static double[] toDoubleArray(Tensor t) {
        double[] r = new double[arrayLength(t)];
        readInto(t, DType.F64, MemorySegment.ofArray(r));
        return r;
    }

    static long[] toLongArray(Tensor t) {
        long[] r = new long[arrayLength(t)];
        readInto(t, DType.I64, MemorySegment.ofArray(r));
        return r;
    }
}
