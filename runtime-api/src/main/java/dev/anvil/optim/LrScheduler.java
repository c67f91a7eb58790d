package dev.anvil.optim;

/**
 * Drives an optimizer's learning rate with a {@link Schedule}: {@link #step()} after each epoch (or batch,
 * as the schedule is counted). The optimizer starts at the schedule's rate for t = 0.
 */
public final class LrScheduler {
    private final Optimizer optimizer;
    private final Schedule schedule;
    private final double base;
    private long t;

    public LrScheduler(Optimizer optimizer, Schedule schedule) {
        this.optimizer = optimizer;
        this.schedule = schedule;
        this.base = optimizer.lr();
        optimizer.lr(schedule.lr(0, base));
    }

    /** Advances one step and sets the optimizer's rate. */
    public void step() {
        t++;
        optimizer.lr(schedule.lr(t, base));
    }

    /** Steps taken. */
    public long steps() {
        return t;
    }

    /** Jumps to step {@code t} (resuming from a checkpoint). */
    public void seek(long t) {
        this.t = t;
        optimizer.lr(schedule.lr(t, base));
    }
}
