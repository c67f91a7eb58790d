package dev.anvil.bench.report;

import com.google.gson.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The limits of the machine a run measured, per device ({@code cpu} for the host backends, {@code gpu} for
 * {@code cuda} and {@code cuda-raw}), all taken from that run's JMH results:
 * <ul>
 *   <li>compute: the FMA microbenchmark ({@code PeakFlopsBench}) and the best GFLOP/s any other benchmark reached
 *       on the device (a GEMM in practice); the limit is the larger of the two;</li>
 *   <li>memory: STREAM copy and triad ({@code StreamBench}) and the best GB/s any other benchmark reached; the limit
 *       is the largest.</li>
 * </ul>
 * Taking the larger keeps every fraction at or under 100% even on a busy machine, where a short microbenchmark
 * can land below a longer GEMM. A device with no microbenchmark (the GPU, so far) has the best seen as its limit.
 *
 * @param devices the limits per device, in the order first met
 */
public record Roofline(Map<String, Device> devices) {

    /**
     * One device's limits; a missing measurement is null.
     *
     * @param fma the FMA microbenchmark, GFLOP/s
     * @param bestCompute the best GFLOP/s of the other benchmarks
     * @param copy STREAM copy, GB/s
     * @param triad STREAM triad, GB/s
     * @param bestMemory the best GB/s of the other benchmarks
     */
    public record Device(Figure fma, Figure bestCompute, Figure copy, Figure triad, Figure bestMemory) {
        /** The compute limit, GFLOP/s (NaN when nothing on this device declares FLOPs). */
        public double computeLimit() {
            return Math.max(v(fma), v(bestCompute));
        }

        /** The memory limit, GB/s (NaN when nothing on this device declares bytes). */
        public double memoryLimit() {
            return Math.max(Math.max(v(copy), v(triad)), v(bestMemory));
        }

        private static double v(Figure f) {
            return f == null ? Double.NaN : f.kind() == Figure.Kind.MEMORY ? f.value() : f.gflops();
        }
    }

    /** The device a backend runs on: {@code gpu} for cuda and cuda-raw, else {@code cpu}. */
    public static String device(String backend) {
        return backend.startsWith("cuda") ? "gpu" : "cpu";
    }

    /** True for the microbenchmarks that measure the roof itself. */
    static boolean isRoofBenchmark(JmhResult r) {
        return r.family().startsWith("PeakFlopsBench.") || r.family().startsWith("StreamBench.");
    }

    /** The roofline of one run. */
    public static Roofline of(RunResults run) {
        return of(Figures.of(run));
    }

    static Roofline of(List<Figure> figures) {
        Map<String, Figure[]> slots = new LinkedHashMap<>();
        for (Figure f : figures) {
            JmhResult r = f.result();
            Figure[] s = slots.computeIfAbsent(device(r.backend()), k -> new Figure[5]);
            String family = r.family();
            if (family.equals("PeakFlopsBench.fma")) {
                s[0] = better(s[0], f, true);
            } else if (family.equals("StreamBench.copy")) {
                s[2] = better(s[2], f, false);
            } else if (family.equals("StreamBench.triad")) {
                s[3] = better(s[3], f, false);
            } else if (!Double.isNaN(f.gflops())) {
                s[1] = better(s[1], f, true);
            } else if (!Double.isNaN(f.gbps())) {
                s[4] = better(s[4], f, false);
            }
        }
        Map<String, Device> devices = new LinkedHashMap<>();
        slots.forEach((k, s) -> devices.put(k, new Device(s[0], s[1], s[2], s[3], s[4])));
        return new Roofline(devices);
    }

    private static Figure better(Figure old, Figure f, boolean compute) {
        if (old == null) {
            return f;
        }
        return (compute ? f.gflops() > old.gflops() : f.gbps() > old.gbps()) ? f : old;
    }

    /** The device's limits, or an empty record when the run measured nothing on it. */
    public Device device(String backend, boolean isDevice) {
        Device d = devices.get(isDevice ? backend : device(backend));
        return d == null ? new Device(null, null, null, null, null) : d;
    }

    /** The figure as a fraction of its device's limit (NaN when there is none or it is a time). */
    public double fraction(Figure f) {
        Device d = device(f.result().backend(), false);
        return switch (f.kind()) {
            case COMPUTE, SAMPLES -> f.gflops() / d.computeLimit();
            case MEMORY -> f.value() / d.memoryLimit();
            case TIME -> Double.NaN;
        };
    }

    /** The roofline as written in results.json (each figure with the jmh index it comes from). */
    public JsonObject toJson() {
        JsonObject root = new JsonObject();
        devices.forEach((name, d) -> {
            JsonObject o = new JsonObject();
            o.add("fmaGflops", figure(d.fma(), true));
            o.add("bestGflops", figure(d.bestCompute(), true));
            o.addProperty("computeLimitGflops", finite(d.computeLimit()));
            o.add("copyGBs", figure(d.copy(), false));
            o.add("triadGBs", figure(d.triad(), false));
            o.add("bestGBs", figure(d.bestMemory(), false));
            o.addProperty("memoryLimitGBs", finite(d.memoryLimit()));
            root.add(name, o);
        });
        return root;
    }

    private static Double finite(double v) {
        return Double.isNaN(v) ? null : v;
    }

    private static JsonObject figure(Figure f, boolean compute) {
        if (f == null) {
            return null;
        }
        JsonObject o = new JsonObject();
        o.addProperty("value", compute ? f.gflops() : f.gbps());
        o.addProperty("error", finite(compute ? f.gflopsError() : f.error()));
        o.addProperty("jmh", f.result().index());
        o.addProperty("benchmark", f.result().family());
        o.addProperty("params", f.result().params().toString());
        return o;
    }
}
