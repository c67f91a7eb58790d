package dev.anvil;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Reverse-mode automatic differentiation on a define-by-run tape, as in micrograd and PyTorch's autograd:
 * each differentiable op records a {@link GradNode} holding its inputs and a backward function written with
 * tensor ops (so every backend gets gradients), and {@link Tensor#backward()} walks the nodes in reverse
 * topological order, accumulating into the leaves' {@link Tensor#grad()}.
 *
 * <pre>{@code
 * Tensor w = Tensor.randn(Shape.of(3, 2), 1).requiresGrad(true);
 * Tensor loss = x.matmul(w).relu().sum();
 * loss.backward();
 * w.grad();                                   // d loss / d w, shape [3, 2]
 * try (var off = Autograd.noGrad()) {          // inference or optimizer updates: nothing recorded
 *     w.addInPlace(w.grad(), -0.1);
 * }
 * }</pre>
 *
 * <p>Recording is per thread: a server answering requests on many threads never mixes graphs.
 */
public final class Autograd {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});

    private Autograd() {
    }

    /** A backward function: gradients of the op's inputs (null where none is needed) from the output's gradient. */
    @FunctionalInterface
    interface Backward {
        Tensor[] apply(Tensor gradOutput);
    }

    /** One recorded op: its name (for messages), its inputs and its backward function. */
    record GradNode(String op, Tensor[] inputs, Backward backward) {
    }

    /** Whether ops on this thread are being recorded. */
    public static boolean isEnabled() {
        return ENABLED.get()[0];
    }

    /** Turns recording off on this thread until the returned guard is closed. */
    public static Guard noGrad() {
        return set(false);
    }

    /** Turns recording on on this thread until the returned guard is closed (inside a {@link #noGrad()} block). */
    public static Guard enableGrad() {
        return set(true);
    }

    private static Guard set(boolean on) {
        boolean[] flag = ENABLED.get();
        boolean previous = flag[0];
        flag[0] = on;
        return new Guard(previous);
    }

    /** Restores the previous recording state when closed. */
    public static final class Guard implements AutoCloseable {
        private final boolean previous;

        private Guard(boolean previous) {
            this.previous = previous;
        }

        @Override
        public void close() {
            ENABLED.get()[0] = previous;
        }
    }

    /** True when recording is on and some input requires a gradient. */
    static boolean needed(Tensor... inputs) {
        if (!ENABLED.get()[0]) {
            return false;
        }
        for (Tensor t : inputs) {
            if (t != null && t.requiresGrad()) {
                return true;
            }
        }
        return false;
    }

    /** Records {@code out} as the result of {@code op} on {@code inputs} when a gradient will be needed. */
    static Tensor record(Tensor out, String op, Backward backward, Tensor... inputs) {
        if (needed(inputs)) {
            out.setGradFn(new GradNode(op, inputs, backward));
        }
        return out;
    }

    /** Runs {@code body} with recording off (for backward functions). */
    static <T> T untracked(Supplier<T> body) {
        boolean[] flag = ENABLED.get();
        boolean previous = flag[0];
        flag[0] = false;
        try {
            return body.get();
        } finally {
            flag[0] = previous;
        }
    }

    /** Reduces a broadcast gradient back to {@code shape}: sums the leading extra axes and the axes that were 1. */
    static Tensor sumTo(Tensor g, int[] shape) {
        int[] gd = g.dims();
        if (java.util.Arrays.equals(gd, shape)) {
            return g;
        }
        int lead = gd.length - shape.length;
        List<Integer> axes = new ArrayList<>();
        for (int i = 0; i < gd.length; i++) {
            if (i < lead || (shape[i - lead] == 1 && gd[i] != 1)) {
                axes.add(i);
            }
        }
        Tensor s = axes.isEmpty() ? g : g.sum(axes.stream().mapToInt(Integer::intValue).toArray(), true);
        return s.reshape(shape);
    }

    /** Backpropagates from {@code root}; {@code seed} is d(something)/d(root), ones for a scalar root when null. */
    static void backward(Tensor root, Tensor seed) {
        if (!root.requiresGrad()) {
            throw new IllegalStateException("backward: " + root.describe()
                    + " does not require a gradient; call requiresGrad(true) on the inputs (parameters) first");
        }
        if (seed == null) {
            if (root.numel() != 1) {
                throw new IllegalArgumentException("backward: " + root.describe()
                        + " is not a scalar; pass the gradient of the output explicitly, backward(gradient)");
            }
            seed = untracked(() -> Tensor.full(root.shape(), root.dtype(), 1, root.backend()));
        } else if (!seed.shape().equals(root.shape())) {
            throw new IllegalArgumentException("backward: gradient " + seed.shape() + " does not match output " + root.shape());
        }
        List<Tensor> order = topologicalOrder(root);
        Map<Tensor, Tensor> grads = new IdentityHashMap<>();
        grads.put(root, seed);
        try (Guard off = noGrad()) {
            for (int i = order.size() - 1; i >= 0; i--) {
                Tensor t = order.get(i);
                Tensor g = grads.remove(t);
                if (g == null) {
                    continue;
                }
                GradNode node = t.gradFn();
                if (node == null) {
                    if (t.requiresGrad()) {
                        t.accumulateGrad(g);
                    }
                    continue;
                }
                Tensor[] gin;
                // backward functions create constants (zeros, scalars) with the factories: make them on the
                // output's backend, whatever this thread's current backend is
                try (var on = Backends.use(t.backend())) {
                    gin = node.backward().apply(g);
                }
                for (int k = 0; k < node.inputs().length; k++) {
                    Tensor in = node.inputs()[k];
                    if (in == null || gin[k] == null || !in.requiresGrad()) {
                        continue;
                    }
                    Tensor gi = gin[k];
                    if (!gi.shape().equals(in.shape())) {
                        throw new IllegalStateException("backward of " + node.op() + ": gradient " + gi.shape()
                                + " does not match input " + in.shape() + " (an Anvil bug; please report it)");
                    }
                    Tensor prior = grads.get(in);
                    grads.put(in, prior == null ? gi : prior.add(gi));
                }
            }
        }
    }

    /** Every tensor reachable from {@code root} through grad nodes, inputs before the ops that use them. */
    private static List<Tensor> topologicalOrder(Tensor root) {
        List<Tensor> order = new ArrayList<>();
        Map<Tensor, Boolean> visited = new IdentityHashMap<>();
        ArrayDeque<Object[]> stack = new ArrayDeque<>(); // {tensor, next input index}
        stack.push(new Object[] {root, 0});
        visited.put(root, Boolean.TRUE);
        while (!stack.isEmpty()) {
            Object[] top = stack.peek();
            Tensor t = (Tensor) top[0];
            GradNode node = t.gradFn();
            int next = (Integer) top[1];
            if (node != null && next < node.inputs().length) {
                top[1] = next + 1;
                Tensor in = node.inputs()[next];
                if (in != null && in.requiresGrad() && visited.put(in, Boolean.TRUE) == null) {
                    stack.push(new Object[] {in, 0});
                }
            } else {
                stack.pop();
                order.add(t);
            }
        }
        return order;
    }
}
