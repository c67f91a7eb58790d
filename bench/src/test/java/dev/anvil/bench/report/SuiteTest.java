package dev.anvil.bench.report;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anvil.bench.Workload;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/** Every entry of every suite names a real benchmark method and real parameters, and its work can be computed. */
class SuiteTest {
    @Test
    void entriesNameRealBenchmarksWithDeclaredWork() throws Exception {
        for (Suite suite : List.of(Suite.quick(), Suite.full(), Suite.smoke())) {
            for (Suite.Entry e : suite.entries()) {
                String where = suite.name() + ": " + e.family();
                Class<?> cls = Class.forName(Suite.PACKAGE + "." + e.benchmark());
                Method m = cls.getMethod(e.method());
                assertTrue(m.isAnnotationPresent(Benchmark.class), where + " is a @Benchmark");
                assertTrue(Workload.class.isAssignableFrom(cls), where + " declares its work");
                for (String p : e.params().keySet()) {
                    Field f = cls.getField(p);
                    assertNotNull(f.getAnnotation(Param.class), where + ": " + p + " is an @Param");
                }
                if (e.backends() != Suite.Backends.NONE) {
                    assertNotNull(cls.getField("backend").getAnnotation(Param.class), where + " has a backend @Param");
                }
                // The work of the first value of each parameter resolves through the same path the report uses.
                Map<String, String> params = new LinkedHashMap<>();
                params.put(e.backends() == Suite.Backends.NONE ? "device" : "backend",
                        e.backends() == Suite.Backends.RAW ? "openblas-raw" : e.backends() == Suite.Backends.NONE ? "cpu" : "cpu-vector");
                e.params().forEach((k, v) -> params.put(k, v.getFirst()));
                JmhResult r = new JmhResult(0, cls.getName() + "." + e.method(), params, 1, "avgt", 1, 0.1, "ms/op", 1e-3, 1e-4);
                assertNotNull(WorkResolver.of(r), where);
            }
        }
    }

    @Test
    void theFullSuiteKeepsTheScalarReferenceGemmSmall() {
        for (Suite.Entry e : Suite.full().entries()) {
            if (e.family().equals("GemmBench.gemm") && e.only().contains("reference")) {
                assertTrue(e.params().get("size").stream().allMatch(s -> Integer.parseInt(s) <= 512), e.toString());
            }
        }
    }
}
