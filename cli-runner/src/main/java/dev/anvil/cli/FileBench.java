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
 * close it) and {@code save} / {@code save-durable} (write the same file atomically, leaving it in the page cache
 * or forcing it to disk). The file holds {@value #TENSORS} equal tensors, like a model's layers, in a scratch
 * folder that is deleted afterwards.
 */
final class FileBench {
    static final int TENSORS = 100;

    private FileBench() {
    }

    /** A prepared case: the call to time, and the clean-up to run once timing is over. */
    record Case(Supplier<Tensor> call, Runnable cleanUp) {
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
        return new Case(call, cleanUp);
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
