/**
 * Model files: byte-exact safetensors ({@link dev.anvil.format.Safetensors}, memory-mapped, validated before
 * trusted) and {@code model.json} ({@link dev.anvil.format.ModelJson}). Packages and the versioned model
 * repository follow.
 */
package dev.anvil.format;
