package dev.anvil.bench;

/**
 * A benchmark that declares its work, so {@code anvil report} shows GFLOP/s, GB/s or samples/s (and a
 * fraction of the machine's limit) instead of a bare time. The report instantiates the benchmark class with
 * its public no-argument constructor, sets its {@code @Param} fields from the JMH result, and calls
 * {@link #work}: no JMH run is needed, so a recorded JMH JSON file can be re-rendered. A benchmark that does not
 * implement this still appears in the report, with its time only.
 *
 * <pre>{@code
 * public class GemmBench implements Workload {
 *     @Param({"256", "512"}) public int size;
 *     public Work work(String method) { return Work.flops(2.0 * size * size * size); }
 * }
 * }</pre>
 */
public interface Workload {
    /**
     * The work of one call of the {@code @Benchmark} method named {@code method}, from the {@code @Param}
     * fields alone (setup has not run).
     */
    Work work(String method);
}
