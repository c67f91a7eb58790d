package dev.anvil.backend.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.anvil.Autograd;
import dev.anvil.Backends;
import dev.anvil.MemoryScope;
import dev.anvil.Shape;
import dev.anvil.Tensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The training path's kernels give the same bits before and after C2 compiles them: a seeded run is repeatable
 * and a run resumed in a fresh JVM ends where the uninterrupted one did. Two JVMs compute the same ops, one with
 * C1 only (the Vector API's Java fallbacks) and one with C2 compiling every kernel before the measured call; their
 * results must agree bit for bit.
 */
class TierDeterminismTest {
    /** Prints one line per op: its name and a hash of its result's bits. */
    public static void main(String[] args) {
        int warm = Integer.parseInt(args[0]);
        try (var use = Backends.use(Backends.get("cpu-vector")); var off = Autograd.noGrad()) {
            Tensor x = Tensor.randn(Shape.of(37, 333), 1).mul(4);
            Tensor w = Tensor.randn(Shape.of(257, 333), 2);
            Tensor v = Tensor.randn(Shape.of(1, 333), 3);
            List<String> lines = new ArrayList<>();
            for (int round = 0; round <= warm; round++) {
                try (MemoryScope s = MemoryScope.open("probe")) {
                    String[] names = {"exp", "sigmoid", "softmax", "logSoftmax", "sum", "rowSums", "gemv", "gemvColumn"};
                    Tensor[] out = {x.exp(), x.sigmoid(), x.softmax(1), x.logSoftmax(1), x.sum(), x.sum(1), v.matmul(w.mT()),
                        w.matmul(v.reshape(333, 1))};
                    if (round == warm) {
                        for (int i = 0; i < names.length; i++) {
                            lines.add(names[i] + " " + Arrays.hashCode(out[i].toFloatArray()));
                        }
                    }
                    // a first-layer convolution (the direct kernel) and one whose input needs a gradient (im2col,
                    // the fused epilogue), both with ReLU and 2x2 pooling, forwards and backwards
                    for (boolean direct : new boolean[] {true, false}) {
                        try (var on = Autograd.enableGrad()) {
                            Tensor img = Tensor.randn(Shape.of(1, 1, 16, 16), 4).requiresGrad(!direct);
                            Tensor k = Tensor.randn(Shape.of(4, 1, 3, 3), 5).requiresGrad(true);
                            Tensor bias = Tensor.randn(Shape.of(4), 6).requiresGrad(true);
                            Tensor z = img.conv2dReluMaxPool(k, bias, 1, 1, 2, 2);
                            z.mul(Tensor.randn(z.shape(), 7)).sum().backward();
                            if (round == warm) {
                                String name = direct ? "conv direct" : "conv im2col";
                                lines.add(name + " " + Arrays.hashCode(z.toFloatArray()) + " "
                                        + Arrays.hashCode(k.grad().toFloatArray()) + " "
                                        + Arrays.hashCode(bias.grad().toFloatArray())
                                        + (direct ? "" : " " + Arrays.hashCode(img.grad().toFloatArray())));
                            }
                        }
                    }
                }
            }
            System.out.println(String.join("\n", lines));
        }
    }

    private static String run(String... jvmFlags) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(jvmFlags));
        cmd.addAll(List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), TierDeterminismTest.class.getName()));
        cmd.add(jvmFlags[0].contains("TieredStopAtLevel") ? "0" : "3000");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError("probe JVM failed: " + out);
        }
        return out.lines().filter(l -> !l.startsWith("WARNING")).reduce("", (a, b) -> a + b + "\n");
    }

    @Test
    void kernelsGiveTheSameBitsBeforeAndAfterTheJitCompilesThem() throws Exception {
        String fallback = run("-XX:TieredStopAtLevel=1");
        String compiled = run("-XX:-TieredCompilation", "-Xbatch");
        assertEquals(fallback, compiled);
    }
}
