/**
 * CUDA backend (JavaCPP presets, cuBLAS and runtime-compiled kernels). Not implemented yet: it arrives
 * with the CUDA issue. Until then this module contributes no provider.
 */
package dev.anvil.backend.cuda;
