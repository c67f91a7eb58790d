/**
 * OpenBLAS backend (JavaCPP presets). Not implemented yet: GEMM through {@code cblas_sgemm} on Anvil's
 * host segments arrives with the OpenBLAS issue. Until then this module contributes no provider, so
 * discovery never offers a backend that cannot compute.
 */
package dev.anvil.backend.openblas;
