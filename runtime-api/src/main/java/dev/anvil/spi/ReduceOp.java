package dev.anvil.spi;

/** Reductions over axes. MAX and MIN propagate NaN. */
public enum ReduceOp {
    SUM, MAX, MIN
}
