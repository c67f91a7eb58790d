package dev.anvil.format;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.anvil.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Jazzer fuzz target for the readers that take files from strangers: safetensors (with the sparse weights of
 * pruned models decoded) and {@code model.json}.
 * The first byte of an input picks the reader (even: safetensors, odd: model.json), the rest is the file. Either
 * reader may only ever answer {@link ModelFormatException}: any other exception, a hang or a runaway allocation
 * is a finding.
 *
 * <p>Plain {@code mvn test} runs it in regression mode over the seeds in
 * {@code src/test/resources/dev/anvil/format/FormatReadersFuzzTestInputs/fuzzReaders/} (and every finding saved
 * there). Fuzzing for real, bounded by {@code maxDuration} (CI does this):
 * {@code JAZZER_FUZZ=1 mvn -pl model-format test -Dtest=FormatReadersFuzzTest}; for longer,
 * add {@code -Djazzer.max_duration=10m}.
 */
class FormatReadersFuzzTest {
    private static final Path SCRATCH;

    static {
        try {
            SCRATCH = Files.createTempFile("anvil-fuzz-", ".safetensors");
            SCRATCH.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "30s")
    void fuzzReaders(byte[] input) throws IOException {
        if (input.length == 0) {
            return;
        }
        byte[] file = Arrays.copyOfRange(input, 1, input.length);
        try {
            if ((input[0] & 1) == 0) {
                readSafetensors(file);
            } else {
                ModelJson m = ModelJson.parse(Path.of("model.json"), new String(file, StandardCharsets.UTF_8));
                ModelJson.parse(Path.of("model.json"), m.toJson()); // what we accept we can write and read back
            }
        } catch (ModelFormatException expected) {
            // the one answer a bad file may get
        }
    }

    private static void readSafetensors(byte[] file) throws IOException {
        Files.write(SCRATCH, file);
        try (SafetensorsFile r = Safetensors.open(SCRATCH)) {
            for (String n : r.names()) {
                Tensor t = r.tensor(n);
                if (t.numel() > 0) {
                    t.toDoubleArray(); // touch every byte the header claims
                }
            }
            r.metadata();
            for (Tensor t : SparseWeights.decode(r).values()) { // pruned weights stored sparse: indices from strangers
                if (t.numel() > 0) {
                    t.toDoubleArray();
                }
            }
        }
    }
}
