package dev.anvil.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The CUDA C sources of the kernels, kept as resources next to this class under {@code kernels/}. */
final class KernelSources {
    /** The header every source includes. */
    static final String HEADER = "anvil_common.cuh";
    /** The translation units, each compiled to its own module. */
    static final List<String> FILES = List.of("elementwise.cu", "reduce.cu", "softmax.cu", "conv.cu", "index.cu");

    private static final Pattern KERNEL = Pattern.compile("extern\\s+\"C\"\\s+__global__\\s+void\\s+(\\w+)\\s*\\(");

    private KernelSources() {
    }

    /** The text of {@code kernels/<name>}. */
    static String read(String name) {
        try (InputStream in = KernelSources.class.getResourceAsStream("kernels/" + name)) {
            if (in == null) {
                throw new IllegalStateException("cuda: kernel source kernels/" + name + " is missing from the backend-cuda jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cuda: cannot read kernel source " + name, e);
        }
    }

    /** Names of the extern "C" kernels a source defines. */
    static List<String> kernelNames(String source) {
        List<String> names = new ArrayList<>();
        Matcher m = KERNEL.matcher(source);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }
}
