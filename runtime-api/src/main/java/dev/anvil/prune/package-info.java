/**
 * Pruning: magnitude pruning per layer or with one global threshold ({@link dev.anvil.prune.MagnitudePruning}),
 * masks that keep pruned weights and their optimizer state at exactly zero through training
 * ({@link dev.anvil.prune.Masks}), gradual pruning on the polynomial schedule of Zhu and Gupta
 * ({@link dev.anvil.prune.GradualPruning}), structured pruning that removes whole neurons and filters and so
 * makes the model physically smaller ({@link dev.anvil.prune.StructuredPruning}), and sparsity reports
 * ({@link dev.anvil.prune.SparsityReport}).
 *
 * <pre>{@code
 * Masks masks = MagnitudePruning.prune(model, 0.9, MagnitudePruning.Scope.GLOBAL); // 90% of weights now zero
 * Optimizer opt = new Adam(model.parameters(), 1e-4);
 * masks.holdDuring(opt);                                   // fine-tuning keeps them zero
 * new Trainer(model, opt).epochs(2).fit(loader, test);
 * System.out.println(masks.report());
 * }</pre>
 */
package dev.anvil.prune;
