package dev.anvil.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.anvil.Backends;
import dev.anvil.Tensor;
import dev.anvil.data.ArrayDataset;
import dev.anvil.data.DataLoader;
import dev.anvil.data.FashionMnist;
import dev.anvil.nn.Sequential;
import dev.anvil.optim.Adam;
import dev.anvil.optim.LrScheduler;
import dev.anvil.optim.Schedule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
    @TempDir
    Path dir;

    private static ArrayDataset small(ArrayDataset d, int n) {
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i * (d.size() / n);
        }
        return d.subset(idx);
    }

    private Trainer.Result run(Sequential model, int epochs, Path ckpt, boolean resume, ArrayDataset train, ArrayDataset test) {
        Adam opt = new Adam(model.parameters(), 3e-3);
        Trainer t = new Trainer(model, opt).epochs(epochs).scheduler(new LrScheduler(opt, Schedule.cosine(60, 0)));
        if (ckpt != null) {
            t.checkpoints(ckpt, 1);
        }
        if (resume) {
            t.resume(ckpt);
        }
        return t.fit(new DataLoader(train, 32).shuffle(5), test);
    }

    @Test
    void learnsAndResumesToBitwiseTheSameWeights() throws Exception {
        try (var u = Backends.use("reference")) {
            FashionMnist.Split data = FashionMnist.embedded();
            ArrayDataset train = small(data.train(), 320);
            ArrayDataset test = small(data.test(), 200);

            Sequential straight = Models.mlp(784, new int[] {32}, 10, 1);
            Trainer.Result r = run(straight, 2, null, false, train, test);
            assertEquals(2, r.epochs().size());
            assertTrue(r.last().testAccuracy() > 0.5, "a small MLP learns something: " + r.last().testAccuracy());
            assertTrue(r.epochs().get(1).loss() < r.epochs().get(0).loss());

            Path ck = dir.resolve("run");
            Sequential first = Models.mlp(784, new int[] {32}, 10, 1);
            run(first, 1, ck, false, train, null);
            assertTrue(Files.exists(ck.resolve("checkpoint.bin")));
            Sequential resumed = Models.mlp(784, new int[] {32}, 10, 99); // different init, overwritten by the checkpoint
            Trainer.Result rest = run(resumed, 2, ck, true, train, test);
            assertEquals(1, rest.epochs().size(), "only the remaining epoch runs");
            Map<String, Tensor> a = straight.stateDict();
            Map<String, Tensor> b = resumed.stateDict();
            for (String k : a.keySet()) {
                assertArrayEquals(a.get(k).toFloatArray(), b.get(k).toFloatArray(), "bitwise equal after resume: " + k);
            }
            Evaluation ev = Evaluation.of(straight, test, 64);
            assertEquals(r.last().testAccuracy(), ev.accuracy(), 1e-12);
            long total = 0;
            for (long[] row : ev.confusion()) {
                for (long v : row) {
                    total += v;
                }
            }
            assertEquals(200, total);
        }
    }

    @Test
    void checkpointsAreAtomicAndValidated() throws Exception {
        try (var u = Backends.use("reference")) {
            Path f = dir.resolve("c.bin");
            Checkpoint.write(f, Map.of("x", Tensor.fromArray(new float[] {1, 2, 3}, 3, 1), "n", Tensor.scalar(7, dev.anvil.DType.I64)));
            Map<String, Tensor> back = Checkpoint.read(f);
            assertArrayEquals(new float[] {1, 2, 3}, back.get("x").toFloatArray());
            assertEquals(7, back.get("n").itemLong());
            try (var files = Files.list(dir)) {
                assertEquals(1, files.count(), "no temporary file left behind");
            }
            Files.write(f, new byte[] {0, 3, 'a', 'b', 'c'});
            assertTrue(org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> Checkpoint.read(f))
                    .getMessage().contains("not an Anvil checkpoint"));
        }
    }
}
