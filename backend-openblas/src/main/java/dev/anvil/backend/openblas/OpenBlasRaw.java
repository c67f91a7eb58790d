package dev.anvil.backend.openblas;

import dev.anvil.DType;
import dev.anvil.Tensor;
import dev.anvil.spi.HostStorage;
import org.bytedeco.openblas.global.openblas;

/**
 * {@code cblas_sgemm} called directly on three tensors' memory, bypassing Anvil's dispatch: the
 * {@code openblas-raw} row of {@code anvil bench}, so the backend's overhead shows as a ratio measured in
 * one run on the same buffers.
 *
 * <pre>{@code
 * Runnable raw = OpenBlasRaw.sgemm(a, b, c);   // C = A B for contiguous square F32 matrices
 * raw.run();
 * }</pre>
 */
public final class OpenBlasRaw {
    private OpenBlasRaw() {
    }

    /** A call computing {@code c = a b} for contiguous 2-D F32 host tensors of matching shapes. */
    public static Runnable sgemm(Tensor a, Tensor b, Tensor c) {
        if (a.rank() != 2 || b.rank() != 2 || c.rank() != 2 || a.dim(1) != b.dim(0) || c.dim(0) != a.dim(0)
                || c.dim(1) != b.dim(1)) {
            throw new IllegalArgumentException("openblas-raw sgemm: shapes " + a.shape() + " x " + b.shape() + " -> " + c.shape()
                    + " do not match");
        }
        for (Tensor t : new Tensor[] {a, b, c}) {
            if (t.dtype() != DType.F32 || !t.isContiguous() || !(t.storage() instanceof HostStorage)) {
                throw new IllegalArgumentException("openblas-raw sgemm: needs contiguous F32 host tensors, got " + t.describe());
            }
        }
        int m = a.dim(0);
        int k = a.dim(1);
        int n = b.dim(1);
        long pa = ((HostStorage) a.storage()).segment().address() + a.layout().offset() * 4;
        long pb = ((HostStorage) b.storage()).segment().address() + b.layout().offset() * 4;
        long pc = ((HostStorage) c.storage()).segment().address() + c.layout().offset() * 4;
        var fa = OpenBlas.floats(pa, (long) m * k);
        var fb = OpenBlas.floats(pb, (long) k * n);
        var fc = OpenBlas.floats(pc, (long) m * n);
        return () -> openblas.cblas_sgemm(OpenBlas.ROW_MAJOR, OpenBlas.NO_TRANS, OpenBlas.NO_TRANS, m, n, k, 1f, fa, k, fb, n,
                0f, fc, n);
    }
}
