package dev.anvil;

import dev.anvil.spi.Backend;
import dev.anvil.spi.Layout;
import dev.anvil.spi.Storage;
import java.util.Arrays;

/** Shared plumbing of the ops: liveness checks, choosing the backend that runs an op, allocating outputs. */
final class Exec {
    private Exec() {
    }

    /** Checks every operand is alive and returns the backend that runs the op. */
    static Backend backend(String op, Tensor... operands) {
        Backend chosen = null;
        for (int i = 0; i < operands.length; i++) {
            Tensor t = operands[i];
            if (t == null) {
                throw new IllegalArgumentException(op + ": operand " + i + " is null");
            }
            if (!t.storage().isAlive()) {
                t.storage().checkAlive(op + ": operand " + t.describe()); // builds the message only on failure
            }
            Backend b = t.storage().backend();
            if (chosen == null) {
                chosen = b;
            } else if (chosen != b && !(chosen.isHost() && b.isHost())) {
                throw new IllegalArgumentException(op + ": operands live on different devices (" + chosen.name() + " and "
                        + b.name() + "); move one with tensor.to(Backends.get(\"" + chosen.name() + "\"))");
            }
        }
        return chosen == null ? Backends.current() : chosen;
    }

    /** A new contiguous tensor on {@code b}, registered with the current memory scope. */
    static Tensor empty(Backend b, DType dtype, int[] shape, boolean zeroed) {
        long numel = Layout.numel(shape);
        long bytes = Math.multiplyExact(numel, dtype.byteSize());
        Storage s = b.allocate(bytes, zeroed);
        MemoryScope.register(s);
        return new Tensor(s, dtype, Layout.contiguous(shape));
    }

    static Tensor empty(Backend b, DType dtype, int[] shape) {
        return empty(b, dtype, shape, false);
    }

    static String str(int[] shape) {
        return Arrays.toString(shape);
    }

    static void requireFloating(String op, Tensor t) {
        if (!t.dtype().isFloating()) {
            throw new IllegalArgumentException(op + ": needs a floating tensor, got " + t.describe()
                    + "; convert with .cast(DType.F32)");
        }
    }
}
