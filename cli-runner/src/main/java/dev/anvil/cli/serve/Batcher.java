package dev.anvil.cli.serve;

import dev.anvil.Autograd;
import dev.anvil.Backends;
import dev.anvil.MemoryScope;
import dev.anvil.Tensor;
import dev.anvil.nn.Module;
import dev.anvil.spi.Backend;
import java.util.ArrayList;
import java.util.List;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs one version's forward passes. With batching on, concurrent requests wait in a bounded queue and batch
 * threads gather them into one forward pass of up to {@code maxBatch} instances, then split the output back.
 * A batch thread waits for more requests (at most {@code timeoutMicros}) only while other requests for this
 * version are being read and parsed, so a lone client is answered at once instead of after the timeout; and
 * when nothing waits and fewer than {@code threads} passes run, a request runs its own pass on its thread.
 * While every compute slot is busy, a gathered batch keeps taking queued requests (up to {@code maxBatch}).
 * With batching off, each request runs its own forward pass on its own thread. Either way a request beyond
 * {@code maxQueue} waiting is refused at once (429). Every pass runs under {@code noGrad} in its own memory
 * scope, so native memory stays flat.
 */
final class Batcher implements AutoCloseable {
    /** One request's instances and, once run, its outputs. */
    static final class Job {
        final float[] x;
        final int n;
        final long enqueued = System.nanoTime();
        final CompletableFuture<float[]> result = new CompletableFuture<>();
        long startedNanos;

        Job(float[] x, int n) {
            this.x = x;
            this.n = n;
        }
    }

    private final Module model;
    private final Signature sig;
    private final Backend backend;
    private final BatchSettings settings;
    private final Metrics.ModelMetrics metrics;
    private final LinkedBlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    /** Requests queued or gathered into a batch not yet running: the figure --max-queue bounds. */
    private final AtomicInteger waiting = new AtomicInteger();
    private final Semaphore inline;
    /** Forward passes running at once (batch threads and requests run on their own thread): at most the batch threads. */
    private final Semaphore running;
    private final AtomicInteger arriving = new AtomicInteger();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean closed;
    /** Test seam: runs on the batch thread before each forward pass. */
    private final Runnable beforeForward;

    Batcher(String name, Module model, Signature sig, Backend backend, BatchSettings settings, Metrics.ModelMetrics metrics,
            Runnable beforeForward) {
        this.model = model;
        this.sig = sig;
        this.backend = backend;
        this.settings = settings;
        this.metrics = metrics;
        this.beforeForward = beforeForward;
        this.inline = new Semaphore(settings.maxQueue());
        this.running = new Semaphore(settings.threads());
        if (settings.enabled()) {
            for (int i = 0; i < settings.threads(); i++) {
                Thread t = Thread.ofPlatform().daemon().name("anvil-batch-" + name + "-" + i).unstarted(this::loop);
                threads.add(t);
                t.start();
            }
        }
    }

    /** One forward pass on the calling thread, without queueing, with its metrics. */
    private float[] forwardHere(float[] x, int n) {
        long t0 = System.nanoTime();
        metrics.queue().observe(0);
        float[] y = forward(x, n);
        metrics.batchSize().observe(n);
        metrics.compute().observe(System.nanoTime() - t0);
        return y;
    }

    /** Announces a request for this version that is being read; pair with {@link #run} or {@link #abandon}. */
    void arriving() {
        arriving.incrementAndGet();
    }

    /** The request announced with {@link #arriving} will not come (its body was bad). */
    void abandon() {
        arriving.decrementAndGet();
    }

    /** Runs {@code n} instances (announced with {@link #arriving}) and returns {@code n * outputSize} outputs. */
    float[] run(float[] x, int n) {
        if (!settings.enabled()) {
            arriving.decrementAndGet();
            if (!inline.tryAcquire()) {
                throw new HttpError(429, "too many requests in flight (" + settings.maxQueue() + ", --max-queue); retry later");
            }
            try {
                return forwardHere(x, n);
            } finally {
                inline.release();
            }
        }
        if (waiting.get() == 0 && running.tryAcquire()) {
            // nothing waits and a compute slot is free: run on this thread, sparing a lone client two thread hand-offs
            arriving.decrementAndGet();
            try {
                return forwardHere(x, n);
            } finally {
                running.release();
            }
        }
        Job job = new Job(x, n);
        boolean queued = false;
        if (!closed) {
            if (waiting.incrementAndGet() <= settings.maxQueue()) {
                queued = queue.offer(job);
            } else {
                waiting.decrementAndGet();
            }
        }
        arriving.decrementAndGet();
        if (!queued) {
            throw closed ? new HttpError(503, "the version is unloading; retry")
                    : new HttpError(429, "the batching queue is full (" + settings.maxQueue() + " requests, --max-queue); retry later");
        }
        try {
            return job.result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HttpError(503, "interrupted while waiting for the batch");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    Metrics.ModelMetrics metricsForTest() {
        return metrics;
    }

    int queued() {
        return waiting.get();
    }

    private void loop() {
        List<Job> batch = new ArrayList<>();
        Job carried = null;
        try (var off = Autograd.noGrad(); var use = Backends.use(backend)) {
            while (!closed || !queue.isEmpty() || carried != null) {
                Job first = carried != null ? carried : queue.poll(100, TimeUnit.MILLISECONDS);
                carried = null;
                if (first == null) {
                    continue;
                }
                batch.clear();
                batch.add(first);
                int total = first.n;
                long deadline = first.enqueued + settings.timeoutMicros() * 1000;
                while (total < settings.maxBatch()) {
                    Job next = queue.poll();
                    if (next == null) {
                        long left = deadline - System.nanoTime();
                        if (arriving.get() <= 0 || left <= 0) {
                            break;
                        }
                        next = queue.poll(left, TimeUnit.NANOSECONDS);
                        if (next == null) {
                            break;
                        }
                    }
                    if (total + next.n > settings.maxBatch()) {
                        carried = next; // too big to join: it opens the next batch
                        break;
                    }
                    batch.add(next);
                    total += next.n;
                }
                // every compute slot busy: requests arriving meanwhile join this batch instead of waiting for the next
                while (!running.tryAcquire(100, TimeUnit.MICROSECONDS)) {
                    while (carried == null && total < settings.maxBatch()) {
                        Job next = queue.poll();
                        if (next == null) {
                            break;
                        }
                        if (total + next.n > settings.maxBatch()) {
                            carried = next;
                        } else {
                            batch.add(next);
                            total += next.n;
                        }
                    }
                }
                waiting.addAndGet(-batch.size());
                try {
                    runBatch(batch, total);
                } finally {
                    running.release();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            HttpError gone = new HttpError(503, "the version was unloaded; retry");
            if (carried != null) {
                waiting.decrementAndGet();
                carried.result.completeExceptionally(gone);
            }
            for (Job j; (j = queue.poll()) != null;) {
                waiting.decrementAndGet();
                j.result.completeExceptionally(gone);
            }
        }
    }

    private void runBatch(List<Job> batch, int total) {
        long start = System.nanoTime();
        for (Job j : batch) {
            metrics.queue().observe(start - j.enqueued);
        }
        try {
            float[] x;
            if (batch.size() == 1) {
                x = batch.get(0).x;
            } else {
                x = new float[total * sig.featureSize()];
                int at = 0;
                for (Job j : batch) {
                    System.arraycopy(j.x, 0, x, at, j.x.length);
                    at += j.x.length;
                }
            }
            float[] y = forward(x, total);
            metrics.batchSize().observe(total);
            metrics.compute().observe(System.nanoTime() - start);
            int out = sig.outputSize();
            if (batch.size() == 1) {
                batch.get(0).result.complete(y);
                return;
            }
            int at = 0;
            for (Job j : batch) {
                float[] part = new float[j.n * out];
                System.arraycopy(y, at, part, 0, part.length);
                at += part.length;
                j.result.complete(part);
            }
        } catch (RuntimeException | Error e) {
            for (Job j : batch) {
                j.result.completeExceptionally(e);
            }
            if (e instanceof Error err) {
                throw err;
            }
        }
    }

    /** One forward pass on this thread: noGrad, a memory scope of its own, the version's backend. */
    float[] forward(float[] x, int n) {
        beforeForward.run();
        try (var off = Autograd.noGrad(); var use = Backends.use(backend); MemoryScope s = MemoryScope.open("serve")) {
            Tensor out = model.forward(Tensor.fromArray(x, sig.batchShape(n)));
            float[] y = out.toFloatArray();
            if (y.length != n * sig.outputSize()) {
                throw new IllegalStateException("the model gave " + y.length + " outputs for " + n + " instances; its signature declares "
                        + sig.outputSize() + " per instance (shape " + out.shape() + ")");
            }
            return y;
        }
    }

    /** Stops the batch threads once the queue is empty; requests still arriving are answered 503. */
    @Override
    public void close() {
        closed = true;
        for (Thread t : threads) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
