package dev.anvil.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anvil.Shape;
import dev.anvil.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Needs a GPU: the device contract on the real device, plus what only a GPU can show (skipped without one). */
class CudaDeviceTest extends DeviceContract {
    private static CudaBackend gpu;

    @BeforeAll
    static void needsGpu() {
        Gpu.assumeAvailable("the device tests");
        gpu = Gpu.backend();
        System.out.println("[backend-cuda] " + gpu.device());
    }

    @Override
    protected CudaBackend backend() {
        return gpu;
    }

    @Test
    void kernelsWereCompiledForThisDeviceAndTf32IsOff() {
        String d = gpu.device().details();
        assertTrue(d.contains("kernels: NVRTC sm_") || d.contains("kernels: NVRTC compute_"), d);
        assertTrue(d.contains("TF32 off"), "TF32 must be off unless -Danvil.cuda.tf32=true: " + d);
    }

    @Test
    void severalThreadsShareTheDevice() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> jobs = new ArrayList<>();
            for (int j = 0; j < 4; j++) {
                long seed = j;
                jobs.add(pool.submit(() -> {
                    for (int i = 0; i < 10; i++) {
                        agree("thread " + seed + " step " + i, 1e-4, () -> Tensor.randn(Shape.of(64, 96), seed)
                                .matmul(Tensor.randn(Shape.of(96, 32), seed + 100)).softmax(-1).sum(new int[] {0}, false));
                    }
                }));
            }
            for (Future<?> f : jobs) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
