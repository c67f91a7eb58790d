package dev.anvil.data;

import dev.anvil.Tensor;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Batches a dataset: batch size, shuffling with a seed (a new permutation each epoch, the same for the same
 * seed and epoch), drop-last, and optional background assembly of the next batch's arrays. Tensors are
 * created on the consuming thread, so they belong to that thread's current memory scope.
 *
 * <pre>{@code
 * DataLoader loader = new DataLoader(train, 128).shuffle(42).dropLast(false);
 * for (Batch b : loader.epoch(0)) { ... }
 * }</pre>
 */
public final class DataLoader {
    private final Dataset data;
    private final int batchSize;
    private Long seed;
    private boolean dropLast;
    private boolean prefetch;

    public DataLoader(Dataset data, int batchSize) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("DataLoader: batch size must be positive, got " + batchSize);
        }
        this.data = data;
        this.batchSize = batchSize;
    }

    /** Shuffle every epoch with a permutation derived from {@code seed} and the epoch number. */
    public DataLoader shuffle(long seed) {
        this.seed = seed;
        return this;
    }

    /** Drop a last batch smaller than the batch size. */
    public DataLoader dropLast(boolean on) {
        this.dropLast = on;
        return this;
    }

    /** Assemble the next batch's arrays on a background thread while the current one is used. */
    public DataLoader prefetch(boolean on) {
        this.prefetch = on;
        return this;
    }

    /** Batches per epoch. */
    public int batches() {
        int n = data.size();
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    /** The dataset. */
    public Dataset dataset() {
        return data;
    }

    /** The order of examples in epoch {@code epoch}. */
    public int[] order(int epoch) {
        int n = data.size();
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        if (seed != null) {
            SplittableRandom r = new SplittableRandom(seed * 1_000_003L + epoch);
            for (int i = n - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = idx[i];
                idx[i] = idx[j];
                idx[j] = t;
            }
        }
        return idx;
    }

    private record Arrays(float[] x, long[] y) {
    }

    private Arrays assemble(int[] order, int batch) {
        int from = batch * batchSize;
        int n = Math.min(batchSize, order.length - from);
        int fs = data.featureSize();
        float[] x = new float[n * fs];
        long[] y = new long[n];
        for (int i = 0; i < n; i++) {
            data.features(order[from + i], x, i * fs);
            y[i] = data.label(order[from + i]);
        }
        return new Arrays(x, y);
    }

    private Batch toBatch(Arrays a) {
        int[] fshape = data.featureShape();
        int[] shape = new int[fshape.length + 1];
        shape[0] = a.y().length;
        System.arraycopy(fshape, 0, shape, 1, fshape.length);
        return new Batch(Tensor.fromArray(a.x(), shape), Tensor.fromArray(a.y()));
    }

    /** The batches of epoch {@code epoch}. */
    public Iterable<Batch> epoch(int epoch) {
        int[] order = order(epoch);
        int count = batches();
        if (!prefetch) {
            return () -> new Iterator<>() {
                int next;

                @Override
                public boolean hasNext() {
                    return next < count;
                }

                @Override
                public Batch next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    return toBatch(assemble(order, next++));
                }
            };
        }
        return () -> {
            BlockingQueue<Object> queue = new ArrayBlockingQueue<>(2);
            Thread worker = Thread.ofPlatform().daemon().name("anvil-prefetch").start(() -> {
                try {
                    for (int b = 0; b < count; b++) {
                        queue.put(assemble(order, b));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (RuntimeException e) {
                    queue.offer(e);
                }
            });
            return new Iterator<>() {
                int next;

                @Override
                public boolean hasNext() {
                    return next < count;
                }

                @Override
                public Batch next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    try {
                        Object o = queue.take();
                        next++;
                        if (o instanceof RuntimeException e) {
                            throw e;
                        }
                        return toBatch((Arrays) o);
                    } catch (InterruptedException e) {
                        worker.interrupt();
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted while waiting for the next batch", e);
                    }
                }
            };
        };
    }
}
