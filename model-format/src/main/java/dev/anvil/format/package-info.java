/**
 * Model packages: safetensors weights, {@code model.json}, the versioned model repository. Arrives with
 * the model-format issue.
 */
package dev.anvil.format;
