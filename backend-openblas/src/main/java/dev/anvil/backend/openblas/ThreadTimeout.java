package dev.anvil.backend.openblas;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * OpenBLAS's {@code OPENBLAS_THREAD_TIMEOUT}, given a default before the library loads.
 *
 * <p>After each call OpenBLAS's worker threads spin for 2^28 cycles (~0.1 s) by default before they sleep. Anvil
 * runs its own kernels on the same cores between BLAS calls (bias, activations, im2col, pooling), and spinning
 * workers take those cores: a CNN training step ran ~20% slower that way here (105-115 against 84-89 ms). With
 * 2^4 cycles the workers sleep at once. OpenBLAS reads the variable only while it loads, from the C environment,
 * so the {@code anvil} launcher exports it, and this class sets it in the process's environment for programs that
 * embed Anvil, unless it is set already (the user's value wins) or {@code -Danvil.openblas.threadTimeout=off}.
 * {@code -Danvil.openblas.threadTimeout=N} (4 to 30, OpenBLAS's range) picks another exponent.
 */
final class ThreadTimeout {
    static final String VARIABLE = "OPENBLAS_THREAD_TIMEOUT";
    static final String PROPERTY = "anvil.openblas.threadTimeout";
    static final String DEFAULT = "4";

    private ThreadTimeout() {
    }

    /**
     * Sets {@link #VARIABLE} in the C environment when it is unset; a no-op where the C library has no
     * {@code setenv} (Windows) or the property says {@code off}.
     *
     * @throws IllegalArgumentException the property is neither {@code off} nor an integer from 4 to 30
     */
    @SuppressWarnings("restricted") // setenv(const char*, const char*, int) from libc, with NUL-terminated arguments
    static void applyDefault() {
        String value = value(System.getProperty(PROPERTY));
        if (value == null || System.getenv(VARIABLE) != null) {
            return;
        }
        Linker linker = Linker.nativeLinker();
        Optional<MemorySegment> setenv = linker.defaultLookup().find("setenv");
        if (setenv.isEmpty()) {
            return;
        }
        MethodHandle h = linker.downcallHandle(setenv.get(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        try (Arena arena = Arena.ofConfined()) {
            int rc = (int) h.invokeExact(arena.allocateFrom(VARIABLE), arena.allocateFrom(value), 0);
            if (rc != 0) {
                System.getLogger(ThreadTimeout.class.getName()).log(System.Logger.Level.WARNING,
                        "setenv(" + VARIABLE + ") failed; OpenBLAS keeps its own thread timeout");
            }
        } catch (Throwable t) {
            throw new IllegalStateException("setenv(" + VARIABLE + ") failed: " + t, t);
        }
    }

    /** The value to set for the property's setting {@code p}, or null for none. */
    static String value(String p) {
        if (p == null || p.isBlank()) {
            return DEFAULT;
        }
        String v = p.trim();
        if (v.equals("off")) {
            return null;
        }
        try {
            int n = Integer.parseInt(v);
            if (n >= 4 && n <= 30) {
                return Integer.toString(n);
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new IllegalArgumentException("-D" + PROPERTY + " must be 'off' or an integer from 4 to 30 (OpenBLAS spins 2^N"
                + " cycles after a call), got '" + p + "'");
    }

    /** The variable as the C library sees it now (System.getenv shows only the JVM's start-up copy), or null. */
    @SuppressWarnings("restricted") // getenv(const char*) from libc; its result is a NUL-terminated string or NULL
    static String current() {
        Linker linker = Linker.nativeLinker();
        Optional<MemorySegment> getenv = linker.defaultLookup().find("getenv");
        if (getenv.isEmpty()) {
            return System.getenv(VARIABLE);
        }
        MethodHandle h = linker.downcallHandle(getenv.get(), FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = (MemorySegment) h.invokeExact(arena.allocateFrom(VARIABLE));
            return p.equals(MemorySegment.NULL) ? null : p.reinterpret(Integer.MAX_VALUE).getString(0);
        } catch (Throwable t) {
            throw new IllegalStateException("getenv(" + VARIABLE + ") failed: " + t, t);
        }
    }
}
