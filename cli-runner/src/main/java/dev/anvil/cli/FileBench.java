package dev.anvil.cli;

import dev.anvil.Shape;
import dev.anvil.Tensor;
import dev.anvil.format.Safetensors;
import dev.anvil.format.SafetensorsFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The model-file cases of {@code anvil bench}: {@code load} (map a safetensors file of {@code size} bytes of F32
 * weights that is in the page cache, validate its header and make a host tensor view of every weight; then
 * close it) and {@code save} / {@code save-durable} (write the same file atomically as a new file, leaving it in
 * the page cache or forcing it to disk). The file holds {@value #TENSORS} equal tensors, like a model's layers, in a scratch
 * folder that is deleted afterwards.
 */
final class FileBench {
    static final int TENSORS = 100;

    private FileBench() {
    }

    /**
     * A prepared case: the call to time, what to do before each call (untimed), and the clean-up to run once timing
     * is over.
     */
    record Case(Supplier<Tensor> call, Runnable beforeEach, Runnable cleanUp) {
    }

    /**
     * Median time of one call: warm-up calls for about {@code targetNanos}, then {@code measurements} batches of
     * calls lasting about {@code targetNanos} each, timing the calls only (not {@link Case#beforeEach}).
     */
    static double nanosPerCall(Case c, int measurements, long targetNanos) {
        long warmEnd = System.nanoTime() + targetNanos;
        long last = Long.MAX_VALUE;
        for (int i = 0; i < 2 || System.nanoTime() < warmEnd; i++) {
            last = Math.min(last, timeOne(c));
        }
        long calls = Math.max(1, targetNanos / Math.max(1, last));
        double[] perCall = new double[measurements];
        for (int m = 0; m < measurements; m++) {
            long total = 0;
            for (long i = 0; i < calls; i++) {
                total += timeOne(c);
            }
            perCall[m] = total / (double) calls;
        }
        return Stopwatch.median(perCall);
    }

    private static long timeOne(Case c) {
        c.beforeEach().run();
        try (var _ = dev.anvil.MemoryScope.open("bench call")) {
            long t0 = System.nanoTime();
            c.call().get();
            return System.nanoTime() - t0;
        }
    }

    static Case prepare(BenchOp op, long bytes, Path scratchParent) {
        long perTensor = bytes / 4 / TENSORS;
        if (perTensor < 1 || perTensor > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": size " + bytes + " bytes gives " + perTensor
                    + " F32 elements per tensor (" + TENSORS + " tensors); use a size from " + 4 * TENSORS + " bytes up");
        }
        Path dir;
        try {
            dir = Files.createTempDirectory(scratchParent, "anvil-bench-file-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make a scratch folder in " + scratchParent + ": " + e.getMessage(), e);
        }
        Path file = dir.resolve("weights.safetensors");
        Map<String, Tensor> weights = new LinkedHashMap<>();
        for (int i = 0; i < TENSORS; i++) {
            weights.put("layer" + i + ".weight", Tensor.rand(Shape.of((int) perTensor), i)); // outlives the timed calls' scopes
        }
        Runnable cleanUp = () -> {
            try {
                Files.deleteIfExists(file);
                Files.deleteIfExists(dir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete the scratch file " + file + ": " + e.getMessage(), e);
            }
        };
        // Saving times writing a new file: replacing an existing one adds the file system's work of freeing the old
        // one (about 0.3 s for 400 MB on ext4 here), which is not the writer's; the old file goes before each call.
        Runnable beforeEach = op == BenchOp.LOAD ? () -> { } : () -> {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete the scratch file " + file + ": " + e.getMessage(), e);
            }
        };
        Supplier<Tensor> call = switch (op) {
            case LOAD -> {
                write(file, weights, Safetensors.Durability.PAGE_CACHE);
                weights.clear();
                yield () -> {
                    try (SafetensorsFile f = Safetensors.open(file)) {
                        if (f.tensors().size() != TENSORS) {
                            throw new IllegalStateException(file + ": expected " + TENSORS + " tensors");
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    return null;
                };
            }
            case SAVE -> () -> write(file, weights, Safetensors.Durability.PAGE_CACHE);
            case SAVE_DURABLE -> () -> write(file, weights, Safetensors.Durability.DURABLE);
            default -> throw new IllegalArgumentException(op + " is not a file case");
        };
        return new Case(call, beforeEach, cleanUp);
    }

    private static Tensor write(Path file, Map<String, Tensor> weights, Safetensors.Durability durability) {
        try {
            Safetensors.write(file, weights, Map.of(), durability);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
        return null;
    }
}
