package dev.anvil.backend.openblas;

import dev.anvil.spi.ComputePool;
import dev.anvil.spi.DeviceInfo;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas;
import org.bytedeco.openblas.global.openblas_full;

/**
 * The native library, loaded once: its thread count is set here to Anvil's ({@code anvil.threads}), so
 * BLAS and the Java kernels never run more threads than cores between them (calls are sequential: a BLAS
 * call and a Java-parallel op never overlap).
 */
final class OpenBlas {
    static {
        ThreadTimeout.applyDefault(); // before anything loads the library: OpenBLAS reads it only then
    }

    static final int ROW_MAJOR = openblas.CblasRowMajor;
    static final int NO_TRANS = openblas.CblasNoTrans;
    static final int TRANS = openblas.CblasTrans;

    private static final class Loaded {
        static final int THREADS;
        static final String CONFIG;
        static final String CORE;

        static {
            openblas_full.blas_set_num_threads(ComputePool.threads());
            THREADS = openblas_full.openblas_get_num_threads();
            CONFIG = string(openblas_full.openblas_get_config());
            CORE = string(openblas_full.openblas_get_corename());
        }

        private static String string(BytePointer p) {
            return p == null || p.isNull() ? "?" : p.getString().trim();
        }
    }

    private OpenBlas() {
    }

    /** Loads the library (first call) and describes it. */
    static DeviceInfo describe() {
        int threads = Loaded.THREADS;
        String forced = System.getenv("OPENBLAS_CORETYPE");
        String details = "OpenBLAS " + Loaded.CONFIG + "; kernel core " + Loaded.CORE
                + (forced != null && !forced.isBlank() ? " (forced by OPENBLAS_CORETYPE=" + forced + ")" : " (detected)")
                + "; " + threads + " threads";
        return new DeviceInfo("OpenBLAS " + Loaded.CORE + " kernels (" + threads + " threads)", threads,
                Runtime.getRuntime().maxMemory(), 0, 0, details);
    }

    /** The kernel core OpenBLAS runs (e.g. "Haswell", "Zen"). */
    static String core() {
        return Loaded.CORE;
    }

    /** A float pointer over native memory at {@code address} (no copy, no ownership). */
    static FloatPointer floats(long address, long count) {
        return new AddressFloat(address, count);
    }

    /** A double pointer over native memory at {@code address} (no copy, no ownership). */
    static DoublePointer doubles(long address, long count) {
        return new AddressDouble(address, count);
    }

    private static final class AddressFloat extends FloatPointer {
        AddressFloat(long address, long count) {
            super((Pointer) null);
            this.address = address;
            this.capacity = count;
            this.limit = count;
        }

        AddressFloat at(long address) {
            this.address = address;
            return this;
        }
    }

    /** Three reusable float pointers per thread, re-aimed for each call (no objects per BLAS call). */
    private static final ThreadLocal<AddressFloat[]> FLOATS = ThreadLocal.withInitial(
            () -> new AddressFloat[] {new AddressFloat(0, 0), new AddressFloat(0, 0), new AddressFloat(0, 0)});

    /** This thread's pointer number {@code slot} (0..2) aimed at {@code address}. */
    static FloatPointer floatSlot(int slot, long address) {
        return FLOATS.get()[slot].at(address);
    }

    private static final class AddressDouble extends DoublePointer {
        AddressDouble(long address, long count) {
            super((Pointer) null);
            this.address = address;
            this.capacity = count;
            this.limit = count;
        }
    }
}
