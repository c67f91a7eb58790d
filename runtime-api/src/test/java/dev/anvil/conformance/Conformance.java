package dev.anvil.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.anvil.Backends;
import dev.anvil.MemoryScope;
import dev.anvil.Shape;
import dev.anvil.Tensor;
import dev.anvil.spi.Backend;
import java.util.function.Supplier;

/**
 * Runs a computation on the reference backend and on the backend under test, and compares the results
 * element by element. The computation creates its own inputs from seeds, so both sides see the same data.
 */
final class Conformance {
    /** Tolerance: |actual - expected| <= atol + rtol * |expected|; NaN must meet NaN, infinities their own sign. */
    record Tol(double rtol, double atol) {
        static final Tol EXACT = new Tol(0, 0);
        /** One or two F32 roundings of a value computed in double. */
        static final Tol F32 = new Tol(2e-6, 1e-6);
        /** Transcendental functions in F32 (a few ulps). */
        static final Tol F32_TRANSCENDENTAL = new Tol(1e-5, 1e-6);
        /** Sums and dot products of n F32 terms: error grows with the term count. */
        static Tol f32Sum(long terms) {
            return new Tol(1e-5 * Math.sqrt(Math.max(1, terms)), 1e-5 * Math.sqrt(Math.max(1, terms)));
        }
        static final Tol F64 = new Tol(1e-12, 1e-12);
    }

    private final Backend reference;
    private final Backend tested;

    Conformance(String backendName) {
        this.reference = Backends.get("reference");
        this.tested = Backends.get(backendName);
    }

    Backend tested() {
        return tested;
    }

    /** Computes on both backends and compares shape, dtype and values; checks the result lives on the tested backend. */
    void agree(String what, Tol tol, Supplier<Tensor> computation) {
        try (MemoryScope scope = MemoryScope.open("conformance:" + what)) {
            Tensor expected;
            Tensor actual;
            try (var u = Backends.use(reference)) {
                expected = computation.get();
            }
            try (var u = Backends.use(tested)) {
                actual = computation.get();
            }
            assertEquals(tested.name(), actual.backend().name(), what + ": result was not computed on " + tested.name());
            assertEquals(expected.shape(), actual.shape(), what + ": shape");
            assertEquals(expected.dtype(), actual.dtype(), what + ": dtype");
            double[] e = expected.toDoubleArray();
            double[] a = actual.toDoubleArray();
            compare(what, tol, e, a);
        }
    }

    static void compare(String what, Tol tol, double[] e, double[] a) {
        assertEquals(e.length, a.length, what + ": element count");
        for (int i = 0; i < e.length; i++) {
            double x = e[i];
            double y = a[i];
            if (Double.isNaN(x) || Double.isNaN(y)) {
                if (!(Double.isNaN(x) && Double.isNaN(y))) {
                    fail(what + ": element " + i + " expected " + x + " but was " + y);
                }
                continue;
            }
            if (Double.isInfinite(x) || Double.isInfinite(y)) {
                if (x != y) {
                    fail(what + ": element " + i + " expected " + x + " but was " + y);
                }
                continue;
            }
            double err = Math.abs(x - y);
            if (err > tol.atol() + tol.rtol() * Math.abs(x)) {
                fail(what + ": element " + i + " expected " + x + " but was " + y + " (error " + err + ", tolerance "
                        + tol + ")");
            }
        }
    }

    static void assertValues(double[] expected, Tensor actual) {
        assertArrayEquals(expected, actual.toDoubleArray(), 1e-6, actual.toString());
    }

    /** Seeded standard-normal F32 input. */
    static Tensor rnd(long seed, int... shape) {
        return Tensor.randn(Shape.of(shape), seed);
    }

    /** Seeded input in (0.1, 3.1) for log, sqrt and friends. */
    static Tensor positive(long seed, int... shape) {
        return Tensor.rand(Shape.of(shape), seed).mul(3).add(0.1);
    }
}
