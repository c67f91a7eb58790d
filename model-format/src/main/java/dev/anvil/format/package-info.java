/**
 * Model files: byte-exact safetensors ({@link dev.anvil.format.Safetensors}, memory-mapped, validated before
 * trusted), sparse storage of pruned weights inside it ({@link dev.anvil.format.SparseWeights}: values plus a
 * bitmask or CSR indices, whichever is smaller), {@code model.json} ({@link dev.anvil.format.ModelJson}), model
 * packages ({@link dev.anvil.format.ModelPackage}) and the versioned model repository.
 */
package dev.anvil.format;
