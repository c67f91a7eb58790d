package dev.anvil.backend.cuda;

import static org.bytedeco.cuda.global.cudart.cuGetErrorName;
import static org.bytedeco.cuda.global.cudart.cudaGetErrorName;
import static org.bytedeco.cuda.global.cudart.cudaGetErrorString;

import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.nvrtc;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/** Error checking and raw pointers for the CUDA runtime, driver, cuBLAS and NVRTC calls. */
final class Cuda {
    private Cuda() {
    }

    /** A JavaCPP pointer at a raw (device or host) address, for the functions that take {@code void*}. */
    static final class Address extends Pointer {
        Address(long address) {
            this.address = address;
        }
    }

    static Pointer at(long address) {
        return new Address(address);
    }

    /** "cudaErrorNoDevice: no CUDA-capable device is detected". */
    static String runtimeError(int rc) {
        try {
            BytePointer name = cudaGetErrorName(rc);
            BytePointer text = cudaGetErrorString(rc);
            return (name == null ? "error " + rc : name.getString()) + (text == null ? "" : ": " + text.getString());
        } catch (RuntimeException | LinkageError e) {
            return "error " + rc;
        }
    }

    /** Throws naming {@code what} unless the runtime call succeeded. */
    static void check(int rc, String what) {
        if (rc != 0) {
            throw new IllegalStateException("cuda: " + what + " failed with " + rc + " (" + runtimeError(rc) + ")");
        }
    }

    /** Throws naming {@code what} unless the driver API call succeeded. */
    static void checkDriver(int rc, String what) {
        if (rc != 0) {
            String name = "CUresult " + rc;
            try (PointerPointer<?> p = new PointerPointer<>(1)) {
                if (cuGetErrorName(rc, p) == 0 && p.get(0) != null) {
                    name = p.getString(0);
                }
            }
            throw new IllegalStateException("cuda: " + what + " failed with " + rc + " (" + name + ")");
        }
    }

    static void checkBlas(int rc, String what) {
        if (rc != cublas.CUBLAS_STATUS_SUCCESS) {
            BytePointer name = cublas.cublasGetStatusName(rc);
            throw new IllegalStateException("cuda: " + what + " failed with " + rc + " ("
                    + (name == null ? "?" : name.getString()) + ")");
        }
    }

    static void checkNvrtc(int rc, String what) {
        if (rc != nvrtc.NVRTC_SUCCESS) {
            BytePointer name = nvrtc.nvrtcGetErrorString(rc);
            throw new IllegalStateException("cuda: " + what + " failed with " + rc + " ("
                    + (name == null ? "?" : name.getString()) + ")");
        }
    }
}
