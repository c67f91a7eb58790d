package dev.anvil.bench.report;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One entry of JMH's JSON result file, as read by the report: which benchmark, its parameters, its score (time per
 * operation) and JMH's 99.9% confidence interval, converted to seconds.
 *
 * @param index position in the run's {@code jmh} array (the report cites it, so each figure can be traced)
 * @param benchmark fully qualified {@code package.Class.method}
 * @param params the {@code @Param} values, in JMH's order
 * @param threads JMH threads that ran the benchmark at once
 * @param mode JMH's mode ({@code avgt}, {@code thrpt}, ...)
 * @param score the score as JMH printed it
 * @param scoreError half-width of JMH's confidence interval, NaN when JMH had too few samples for one
 * @param unit JMH's unit, e.g. {@code ms/op}
 * @param seconds the score as seconds per operation
 * @param errorSeconds the error as seconds per operation (NaN when unknown)
 */
public record JmhResult(int index, String benchmark, Map<String, String> params, int threads, String mode, double score,
        double scoreError, String unit, double seconds, double errorSeconds) {

    /** The class's simple name and the method: {@code GemmBench.gemm}. */
    public String family() {
        int method = benchmark.lastIndexOf('.');
        int cls = benchmark.lastIndexOf('.', method - 1);
        return benchmark.substring(cls + 1);
    }

    /** The fully qualified class name. */
    public String className() {
        return benchmark.substring(0, benchmark.lastIndexOf('.'));
    }

    /** The benchmark method's name. */
    public String method() {
        return benchmark.substring(benchmark.lastIndexOf('.') + 1);
    }

    /** The backend the case ran on: the {@code backend} parameter, else {@code device}, else "-". */
    public String backend() {
        return params.getOrDefault("backend", params.getOrDefault("device", "-"));
    }

    /** The parameters other than the backend, as {@code k=v, k=v} (empty when none). */
    public String shape() {
        StringBuilder sb = new StringBuilder();
        params.forEach((k, v) -> {
            if (!k.equals("backend") && !k.equals("device")) {
                sb.append(sb.isEmpty() ? "" : ", ").append(k).append('=').append(v);
            }
        });
        return sb.toString();
    }

    /** Reads entry {@code index} of a JMH JSON array; {@code where} names the file for errors. */
    static JmhResult parse(JsonElement e, int index, String where) {
        String at = where + ": jmh[" + index + "]";
        if (!e.isJsonObject()) {
            throw new IllegalArgumentException(at + ": expected a JMH result object");
        }
        JsonObject o = e.getAsJsonObject();
        String benchmark = string(o, "benchmark", at);
        if (benchmark.indexOf('.') < 0) {
            throw new IllegalArgumentException(at + ": \"benchmark\" must be package.Class.method, got '" + benchmark + "'");
        }
        Map<String, String> params = new LinkedHashMap<>();
        if (o.has("params") && o.get("params").isJsonObject()) {
            for (Map.Entry<String, JsonElement> p : o.getAsJsonObject("params").entrySet()) {
                params.put(p.getKey(), p.getValue().getAsString());
            }
        }
        int threads = o.has("threads") ? o.get("threads").getAsInt() : 1;
        String mode = o.has("mode") ? o.get("mode").getAsString() : "avgt";
        if (!o.has("primaryMetric") || !o.get("primaryMetric").isJsonObject()) {
            throw new IllegalArgumentException(at + " (" + benchmark + "): missing \"primaryMetric\"");
        }
        JsonObject pm = o.getAsJsonObject("primaryMetric");
        double score = number(pm, "score", at);
        double error = pm.has("scoreError") ? number(pm, "scoreError", at) : Double.NaN;
        String unit = string(pm, "scoreUnit", at);
        double seconds;
        double errorSeconds;
        if (unit.endsWith("/op")) { // time per operation (avgt, sample, ss)
            double f = secondsPer(unit.substring(0, unit.length() - 3), at);
            seconds = score * f;
            errorSeconds = error * f;
        } else if (unit.startsWith("ops/")) { // throughput: invert, error to first order
            double f = secondsPer(unit.substring(4), at);
            seconds = f / score;
            errorSeconds = seconds * error / score;
        } else {
            throw new IllegalArgumentException(at + " (" + benchmark + "): unknown score unit '" + unit + "'");
        }
        if (!(seconds > 0) || Double.isInfinite(seconds)) {
            throw new IllegalArgumentException(at + " (" + benchmark + "): score must be positive, got " + score + " " + unit);
        }
        return new JmhResult(index, benchmark, Collections.unmodifiableMap(params), threads, mode, score,
                error, unit, seconds, errorSeconds);
    }

    private static double secondsPer(String timeUnit, String at) {
        return switch (timeUnit) {
            case "s" -> 1;
            case "ms" -> 1e-3;
            case "us" -> 1e-6;
            case "ns" -> 1e-9;
            case "min" -> 60;
            default -> throw new IllegalArgumentException(at + ": unknown time unit '" + timeUnit + "'");
        };
    }

    private static String string(JsonObject o, String key, String at) {
        if (!o.has(key) || !o.get(key).isJsonPrimitive()) {
            throw new IllegalArgumentException(at + ": missing \"" + key + "\"");
        }
        return o.get(key).getAsString();
    }

    private static double number(JsonObject o, String key, String at) {
        if (!o.has(key) || !o.get(key).isJsonPrimitive()) {
            throw new IllegalArgumentException(at + ": missing \"" + key + "\"");
        }
        String s = o.get(key).getAsString();
        if (s.equals("NaN")) {
            return Double.NaN;
        }
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(at + ": \"" + key + "\" must be a number, got '" + s + "'");
        }
    }
}
