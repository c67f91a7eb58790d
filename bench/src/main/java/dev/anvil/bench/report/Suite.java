package dev.anvil.bench.report;

import dev.anvil.bench.Workload;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * What {@code anvil report} runs: the benchmark methods with their parameter values, and JMH's iteration settings.
 * {@link #quick()} fits in a few minutes on a 2-core machine; {@link #full()} has more sizes and longer iterations;
 * {@link #smoke()} is one tiny case per kind, in-process, for tests. The {@code backend} parameter is filled in by
 * the runner from the backends chosen ({@link Backends#ANVIL}) or their raw libraries ({@link Backends#RAW}).
 *
 * @param name quick, full or smoke
 * @param warmups warm-up iterations
 * @param warmupMillis length of each
 * @param iterations measurement iterations (at least 2, so JMH can give a confidence interval)
 * @param iterationMillis length of each
 * @param forks JVM forks per case (0 runs in this JVM)
 * @param entries the benchmark methods and their parameters
 */
public record Suite(String name, int warmups, int warmupMillis, int iterations, int iterationMillis, int forks,
        List<Entry> entries) {

    /** Which backends a benchmark's {@code backend} parameter takes. */
    public enum Backends {
        /** The roofline microbenchmarks: no backend parameter. */
        NONE,
        /** Anvil backends (reference, cpu-vector, openblas, cuda). */
        ANVIL,
        /** A library called directly on a backend's buffers (openblas-raw, cuda-raw). */
        RAW
    }

    /**
     * One benchmark method and its parameters.
     *
     * @param benchmark simple class name in {@code dev.anvil.bench}
     * @param method the {@code @Benchmark} method
     * @param backends how the backend parameter is filled in
     * @param params other {@code @Param} values (those not given keep the class's defaults)
     * @param only the backends this entry is limited to (empty: every chosen one)
     */
    public record Entry(String benchmark, String method, Backends backends, Map<String, List<String>> params,
            List<String> only) {
        /** An entry for every chosen backend. */
        public Entry(String benchmark, String method, Backends backends, Map<String, List<String>> params) {
            this(benchmark, method, backends, params, List.of());
        }

        /** The chosen backends this entry runs on. */
        public List<String> filter(List<String> chosen) {
            return only.isEmpty() ? chosen : chosen.stream().filter(only::contains).toList();
        }

        /** {@code GemmBench.gemm}. */
        public String family() {
            return benchmark + "." + method;
        }

        /** Copies the lists. */
        public Entry {
            params = Collections.unmodifiableMap(new LinkedHashMap<>(params)); // keeps the order given
            only = List.copyOf(only);
        }
    }

    /** Checks the settings. */
    public Suite {
        if (iterations < 2) {
            throw new IllegalArgumentException("a suite needs at least 2 measurement iterations for a confidence interval");
        }
        entries = List.copyOf(entries);
    }

    /** Where the benchmarks live. */
    static final String PACKAGE = "dev.anvil.bench";

    private static final class Builder {
        private final List<Entry> entries = new ArrayList<>();

        Builder add(String benchmark, String method, Backends b, String... params) {
            entries.add(new Entry(benchmark, method, b, params(params), List.of()));
            return this;
        }

        /** An entry for {@code backends} only (with the chosen ones), e.g. the slow reference at small sizes. */
        Builder addOn(List<String> backends, String benchmark, String method, String... params) {
            entries.add(new Entry(benchmark, method, Backends.ANVIL, params(params), backends));
            return this;
        }

        private static Map<String, List<String>> params(String... params) {
            Map<String, List<String>> p = new LinkedHashMap<>();
            for (String kv : params) {
                int eq = kv.indexOf('=');
                p.put(kv.substring(0, eq), List.of(kv.substring(eq + 1).split(",")));
            }
            return p;
        }
    }

    /**
     * The quick suite: one or a few sizes per kind, 4 x 0.2 s measured after 3 x 0.2 s of warm-up, in this JVM. Forking
     * a JVM per case would cost more than the case: until C2 compiles them, Vector API loops run hundreds of times
     * slower, and 0.2 s iterations would measure that. In one JVM the kernels stay compiled from case to case.
     */
    public static Suite quick() {
        Builder b = roofline(new Builder(), "16777216", "100000")
                .add("GemmBench", "gemm", Backends.ANVIL, "size=128,256,512")
                .add("GemmRawBench", "gemm", Backends.RAW, "size=128,256,512")
                .add("GemmShapeBench", "gemm", Backends.ANVIL, "layer=784x256", "batch=1,256")
                .add("BatchedGemmBench", "bmm", Backends.ANVIL, "batch=32", "size=64")
                .add("ElementwiseBench", "add", Backends.ANVIL, "size=16777216")
                .add("ElementwiseBench", "mul", Backends.ANVIL, "size=16777216")
                .add("ElementwiseBench", "exp", Backends.ANVIL, "size=16777216")
                .add("CopyBench", "copy", Backends.ANVIL, "size=16777216")
                .add("ReduceBench", "sum", Backends.ANVIL, "size=65536")
                .add("SoftmaxBench", "softmax", Backends.ANVIL, "size=4096")
                // Small batches: the scalar reference backend takes about a second per CNN step at batch 32.
                .add("Conv2dBench", "forward", Backends.ANVIL, "layer=1x32x28,32x64x14", "batch=16")
                .add("MlpBench", "trainStep", Backends.ANVIL, "batch=128")
                .add("MlpBench", "infer", Backends.ANVIL, "batch=1,256")
                .add("CnnBench", "trainStep", Backends.ANVIL, "batch=16")
                .add("Int8GemmBench", "int8", Backends.ANVIL, "size=256", "batch=1,256")
                .add("Int8GemmBench", "f32", Backends.ANVIL, "size=256", "batch=1,256");
        return new Suite("quick", 3, 200, 4, 200, 0, b.entries);
    }

    /** The full suite: more sizes, 5 x 1 s measured after 5 x 1 s of warm-up, one fresh JVM per case. */
    public static Suite full() {
        Builder b = roofline(new Builder(), "16777216", "1000000")
                // The reference backend's scalar GEMM takes seconds per call above n = 512 (minutes at 2048).
                .addOn(List.of("reference"), "GemmBench", "gemm", "size=64,128,256,512")
                .addOn(List.of("cpu-vector", "openblas", "cuda"), "GemmBench", "gemm", "size=64,128,256,512,1024,2048")
                .add("GemmRawBench", "gemm", Backends.RAW, "size=64,128,256,512,1024,2048")
                .add("GemmShapeBench", "gemm", Backends.ANVIL, "layer=784x256,256x128,128x10", "batch=1,128,256")
                .add("BatchedGemmBench", "bmm", Backends.ANVIL, "batch=32", "size=32,64,128,256")
                .add("ElementwiseBench", "add", Backends.ANVIL, "size=65536,1048576,16777216")
                .add("ElementwiseBench", "mul", Backends.ANVIL, "size=65536,1048576,16777216")
                .add("ElementwiseBench", "exp", Backends.ANVIL, "size=65536,1048576,16777216")
                .add("CopyBench", "copy", Backends.ANVIL, "size=65536,1048576,16777216")
                .add("ReduceBench", "sum", Backends.ANVIL, "size=1024,16384,65536")
                .add("SoftmaxBench", "softmax", Backends.ANVIL, "size=1024,4096,16384")
                .add("Conv2dBench", "forward", Backends.ANVIL, "layer=1x32x28,32x64x14", "batch=1,64")
                .add("MlpBench", "trainStep", Backends.ANVIL, "batch=128,256")
                .add("MlpBench", "infer", Backends.ANVIL, "batch=1,128,256")
                .add("CnnBench", "trainStep", Backends.ANVIL, "batch=32,64")
                .add("Int8GemmBench", "int8", Backends.ANVIL, "size=256,512,1024", "batch=1,256")
                .add("Int8GemmBench", "f32", Backends.ANVIL, "size=256,512,1024", "batch=1,256");
        return new Suite("full", 5, 1000, 5, 1000, 1, b.entries);
    }

    /** One tiny case per kind, in this JVM, a few milliseconds each: for tests of the whole pipeline. */
    public static Suite smoke() {
        Builder b = roofline(new Builder(), "65536", "1000")
                .add("GemmBench", "gemm", Backends.ANVIL, "size=16,32")
                .add("GemmRawBench", "gemm", Backends.RAW, "size=16")
                .add("GemmShapeBench", "gemm", Backends.ANVIL, "layer=128x10", "batch=1")
                .add("BatchedGemmBench", "bmm", Backends.ANVIL, "batch=2", "size=8")
                .add("ElementwiseBench", "add", Backends.ANVIL, "size=1024")
                .add("ElementwiseBench", "mul", Backends.ANVIL, "size=1024")
                .add("ElementwiseBench", "exp", Backends.ANVIL, "size=1024")
                .add("CopyBench", "copy", Backends.ANVIL, "size=1024")
                .add("ReduceBench", "sum", Backends.ANVIL, "size=64")
                .add("SoftmaxBench", "softmax", Backends.ANVIL, "size=64")
                .add("Conv2dBench", "forward", Backends.ANVIL, "layer=1x4x8", "batch=2")
                .add("MlpBench", "trainStep", Backends.ANVIL, "batch=2")
                .add("MlpBench", "infer", Backends.ANVIL, "batch=1")
                .add("CnnBench", "trainStep", Backends.ANVIL, "batch=1")
                .add("Int8GemmBench", "int8", Backends.ANVIL, "size=16", "batch=1")
                .add("Int8GemmBench", "f32", Backends.ANVIL, "size=16", "batch=1");
        return new Suite("smoke", 1, 20, 2, 20, 0, b.entries);
    }

    private static Builder roofline(Builder b, String streamSize, String fmaIterations) {
        return b.add("PeakFlopsBench", "fma", Backends.NONE, "iterations=" + fmaIterations)
                .add("StreamBench", "copy", Backends.NONE, "size=" + streamSize)
                .add("StreamBench", "triad", Backends.NONE, "size=" + streamSize);
    }

    /**
     * This suite plus every other benchmark method in JMH's list whose class declares its work ({@link Workload}), so
     * a new benchmark (the int8 GEMM, say) is reported without being named here. It runs with its own {@code @Param}
     * defaults, except that {@code size} takes only its smallest value unless this is the full suite, and
     * {@code backend} takes the chosen backends when the class has that parameter.
     */
    public Suite withDiscovered() {
        List<Entry> all = new ArrayList<>(entries);
        List<String> known = entries.stream().map(Entry::family).distinct().toList();
        var list = BenchmarkList.defaultList().getAll(OutputFormatFactory.createFormatInstance(System.err, VerboseMode.SILENT),
                List.of());
        for (BenchmarkListEntry e : list) {
            String qname = e.getUserClassQName();
            String method = e.getUsername().substring(e.getUsername().lastIndexOf('.') + 1);
            String simple = qname.substring(qname.lastIndexOf('.') + 1);
            if (!qname.equals(PACKAGE + "." + simple) || known.contains(simple + "." + method)
                    || all.stream().anyMatch(x -> x.family().equals(simple + "." + method))) {
                continue;
            }
            Class<?> cls;
            try {
                cls = Class.forName(qname, false, Suite.class.getClassLoader());
            } catch (ClassNotFoundException | LinkageError ex) {
                continue;
            }
            if (!Workload.class.isAssignableFrom(cls)) {
                continue;
            }
            Backends backends = Backends.NONE;
            Map<String, List<String>> params = new LinkedHashMap<>();
            for (Field f : cls.getFields()) {
                Param p = f.getAnnotation(Param.class);
                if (p == null) {
                    continue;
                }
                if (f.getName().equals("backend")) {
                    backends = Backends.ANVIL;
                } else if (f.getName().equals("size") && !name.equals("full") && p.value().length > 1) {
                    params.put("size", List.of(smallest(p.value())));
                }
            }
            all.add(new Entry(simple, method, backends, params));
        }
        return new Suite(name, warmups, warmupMillis, iterations, iterationMillis, forks, all);
    }

    private static String smallest(String[] values) {
        String best = values[0];
        for (String v : values) {
            try {
                if (Double.parseDouble(v.trim()) < Double.parseDouble(best.trim())) {
                    best = v;
                }
            } catch (NumberFormatException e) {
                return values[0];
            }
        }
        return best;
    }
}
