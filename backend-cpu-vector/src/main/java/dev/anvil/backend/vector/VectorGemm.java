package dev.anvil.backend.vector;

import dev.anvil.spi.GemmSpec;
import dev.anvil.spi.HostAccess;
import dev.anvil.spi.HostStorage;
import java.lang.foreign.MemorySegment;

/** GEMM for the cpu-vector backend. Placeholder: a plain loop until the packed, register-tiled kernel lands. */
final class VectorGemm {
    private VectorGemm() {
    }

    static void gemm(GemmSpec g) {
        MemorySegment a = ((HostStorage) g.a()).segment();
        MemorySegment b = ((HostStorage) g.b()).segment();
        MemorySegment c = ((HostStorage) g.c()).segment();
        for (int p = 0; p < g.batch(); p++) {
            for (int i = 0; i < g.m(); i++) {
                for (int j = 0; j < g.n(); j++) {
                    double sum = 0;
                    for (int q = 0; q < g.k(); q++) {
                        long ai = g.aOffset() + p * g.aBatchStride() + (g.transA() ? q * g.lda() + i : i * g.lda() + q);
                        long bi = g.bOffset() + p * g.bBatchStride() + (g.transB() ? j * g.ldb() + q : q * g.ldb() + j);
                        sum += HostAccess.getDouble(a, g.dtype(), ai) * HostAccess.getDouble(b, g.dtype(), bi);
                    }
                    long ci = g.cOffset() + p * g.cBatchStride() + i * g.ldc() + j;
                    double prior = g.beta() == 0 ? 0 : g.beta() * HostAccess.getDouble(c, g.dtype(), ci);
                    HostAccess.putDouble(c, g.dtype(), ci, g.alpha() * sum + prior);
                }
            }
        }
    }
}
