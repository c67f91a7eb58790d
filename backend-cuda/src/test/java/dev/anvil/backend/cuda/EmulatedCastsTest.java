package dev.anvil.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.anvil.Backends;
import dev.anvil.DType;
import dev.anvil.spi.Backend;
import dev.anvil.spi.HostAccess;
import dev.anvil.spi.Layout;
import dev.anvil.spi.Storage;
import dev.anvil.spi.View;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Runs where a C++ compiler is: every cast the kernels do (load_d/load_l/store_d/store_l, the half and
 * bfloat16 conversions) against the reference backend, bit for bit, on random bit patterns (NaNs,
 * infinities, subnormals, ties) and on every binary16 value.
 */
class EmulatedCastsTest {
    private static Backend emulated;
    private static Backend reference;

    @BeforeAll
    static void needsCompiler() {
        assumeTrue(new EmulatedCudaProvider().probe().available(), "no C++ compiler for the kernel emulator");
        emulated = Backends.get(EmulatedCudaProvider.NAME);
        reference = Backends.get("reference");
    }

    /** Casts {@code data} (elements of {@code from}) to {@code to} on {@code b}, through a strided source view. */
    private static MemorySegment cast(Backend b, MemorySegment data, DType from, DType to) {
        int n = (int) (data.byteSize() / from.byteSize());
        Storage src = b.allocate(data.byteSize(), false);
        Storage dst = b.allocate((long) n * to.byteSize(), false);
        try {
            View s = new View(src, from, Layout.contiguous(n));
            b.copyFromHost(data, s);
            // read the source backwards (stride would be -1; use a [2, n/2] transpose instead) so the cast kernel walks strides
            View st = new View(src, from, new Layout(new int[] {n / 2, 2}, new long[] {1, n / 2}, 0));
            View d = new View(dst, to, Layout.contiguous(n / 2, 2));
            b.copy(st, d);
            MemorySegment out = MemorySegment.ofArray(new long[(n * to.byteSize() + 7) / 8]).asSlice(0, (long) n * to.byteSize());
            b.copyToHost(new View(dst, to, Layout.contiguous(n)), out);
            return out;
        } finally {
            src.release("test");
            dst.release("test");
        }
    }

    private static MemorySegment patterns(DType t, int n, long seed) {
        long[] words = new long[(n * t.byteSize() + 7) / 8];
        Random r = new Random(seed);
        for (int i = 0; i < words.length; i++) {
            words[i] = r.nextLong();
        }
        MemorySegment m = MemorySegment.ofArray(words).asSlice(0, (long) n * t.byteSize());
        double[] specials = {0.0, -0.0, 0.5, 1.5, 2.5, -2.5, 127.5, 128, 255.5, 256, -129, 65504, 65519.99, 65520, 1e-8, 6e-8,
            Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 9.3e18, -9.3e18, 3.4e38, 1e300, 2147483648.0,
            -2147483649.0, 4294967296.5, Float.MIN_VALUE, Float.MIN_NORMAL, 5.960464477539063E-8, 2.9802322387695312E-8};
        for (int i = 0; i < specials.length && i < n; i++) {
            HostAccess.putDouble(m, t, i, specials[i]);
        }
        if (t == DType.F16 || t == DType.BF16) {
            for (int i = 0; i < Math.min(n, 65536); i++) { // every 16-bit pattern
                m.setAtIndex(ValueLayout.JAVA_SHORT, i, (short) i);
            }
        }
        if (t == DType.F32) { // exact halfway cases of F16 (low 13 bits 0x1000) and BF16 (low 16 bits 0x8000) rounding
            for (int i = specials.length; i < n / 4; i++) {
                int bits = r.nextInt();
                m.setAtIndex(ValueLayout.JAVA_INT, i, i % 2 == 0 ? (bits & ~0x1FFF) | 0x1000 : (bits & ~0xFFFF) | 0x8000);
            }
        }
        return m;
    }

    @Test
    void everyCastMatchesTheReferenceBitForBit() {
        int n = 1 << 17;
        for (DType from : DType.values()) {
            MemorySegment data = patterns(from, n, from.ordinal());
            for (DType to : DType.values()) {
                MemorySegment expected = cast(reference, data, from, to);
                MemorySegment actual = cast(emulated, data, from, to);
                compare(from + " -> " + to, to, data, from, expected, actual);
            }
        }
    }

    private static void compare(String what, DType to, MemorySegment in, DType from, MemorySegment e, MemorySegment a) {
        assertEquals(e.byteSize(), a.byteSize(), what);
        int n = (int) (e.byteSize() / to.byteSize());
        int half = n / 2;
        for (int i = 0; i < n; i++) {
            double x = HostAccess.getDouble(e, to, i);
            double y = HostAccess.getDouble(a, to, i);
            boolean same = to.isFloating() ? (Double.isNaN(x) ? Double.isNaN(y) : Double.doubleToRawLongBits(x) == Double.doubleToRawLongBits(y))
                    : HostAccess.getLong(e, to, i) == HostAccess.getLong(a, to, i);
            if (!same) {
                int src = (i % 2) * half + i / 2; // the [n/2, 2] transpose read element src for output i
                fail(what + ": element " + i + " of input " + HostAccess.getDouble(in, from, src) + " expected " + x + " but was " + y);
            }
        }
    }
}
