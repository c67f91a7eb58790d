package dev.anvil.format;

import dev.anvil.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Load time of a ~400 MB F32 file once it is in the page cache. Off by default (it writes 400 MB):
 * {@code mvn -pl model-format -am test -Dtest=SafetensorsLoadBenchmark -Danvil.bench.load=/tmp/dir}.
 */
class SafetensorsLoadBenchmark {
    @Test
    @EnabledIfSystemProperty(named = "anvil.bench.load", matches = ".+")
    void loads400MegabytesOfF32() throws Exception {
        Path f = Path.of(System.getProperty("anvil.bench.load")).resolve("bench-400mb.safetensors");
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (int i = 0; i < 100; i++) {
            in.put("layer" + i, Tensor.zeros(1000, 1000)); // 4 MB each
        }
        long w0 = System.nanoTime();
        Safetensors.write(f, in);
        long w1 = System.nanoTime();
        System.out.printf("write %d bytes: %.1f ms (%.2f GB/s, includes fsync)%n", Files.size(f), (w1 - w0) / 1e6,
                Files.size(f) / ((w1 - w0) / 1e9) / 1e9);
        in.clear();
        for (int rep = 0; rep < 5; rep++) {
            long t0 = System.nanoTime();
            try (SafetensorsFile r = Safetensors.open(f)) {
                Map<String, Tensor> all = r.tensors();
                long t1 = System.nanoTime();
                double touch = all.get("layer99").toFloatArray().length;
                System.out.printf("load %d tensors: %.2f ms (touch %f)%n", all.size(), (t1 - t0) / 1e6, touch);
            }
        }
        Files.delete(f);
    }
}
