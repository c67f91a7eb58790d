package dev.anvil.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anvil.DType;
import dev.anvil.spi.BinaryOp;
import dev.anvil.spi.ReduceOp;
import dev.anvil.spi.UnaryOp;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Runs everywhere: the CUDA sources agree with the Java side on names, codes and struct layout. */
class KernelSourcesTest {
    private static final Pattern DEFINE = Pattern.compile("#define\\s+(\\w+)\\s+(-?\\d+)\\b");

    private static Map<String, Integer> defines() {
        Map<String, Integer> d = new HashMap<>();
        Matcher m = DEFINE.matcher(KernelSources.read(KernelSources.HEADER));
        while (m.find()) {
            d.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        return d;
    }

    @Test
    void typeAndOpCodesMatchTheJavaEnums() {
        Map<String, Integer> d = defines();
        for (DType t : DType.values()) {
            assertEquals(t.ordinal(), d.get("T_" + t.name()), "T_" + t.name());
        }
        for (UnaryOp op : UnaryOp.values()) {
            assertEquals(op.ordinal(), d.get("U_" + op.name()), "U_" + op.name());
        }
        for (BinaryOp op : BinaryOp.values()) {
            assertEquals(op.ordinal(), d.get("B_" + op.name()), "B_" + op.name());
        }
        for (ReduceOp op : ReduceOp.values()) {
            assertEquals(op.ordinal(), d.get("R_" + op.name()), "R_" + op.name());
        }
        assertEquals(Strided.MAX_RANK, d.get("ANVIL_MAX_RANK"));
        assertEquals(Strided.MAX_OPS, d.get("ANVIL_MAX_OPS"));
        assertTrue(KernelSources.read(KernelSources.HEADER).contains("sizeof(Strided) == " + Strided.BYTES));
    }

    @Test
    void everyKernelTheBackendLaunchesIsDefinedInItsFile() {
        Map<String, Set<String>> byFile = new HashMap<>();
        for (String f : KernelSources.FILES) {
            byFile.put(f, new HashSet<>(KernelSources.kernelNames(KernelSources.read(f))));
        }
        for (Kernel k : Kernel.values()) {
            assertTrue(byFile.get(k.file).contains(k.symbol()), k.symbol() + " is not defined in " + k.file);
        }
        int defined = byFile.values().stream().mapToInt(Set::size).sum();
        assertEquals(Kernel.values().length, defined, "kernels defined in the sources but unknown to Kernel: " + byFile);
    }

    @Test
    void sourcesIncludeOnlyTheCommonHeaderBecauseNvrtcHasNoSystemHeaders() {
        for (String f : KernelSources.FILES) {
            for (String line : KernelSources.read(f).split("\n")) {
                if (line.trim().startsWith("#include")) {
                    assertEquals("#include \"" + KernelSources.HEADER + "\"", line.trim(), f);
                }
            }
            assertTrue(f.toLowerCase(Locale.ROOT).endsWith(".cu"));
        }
    }
}
