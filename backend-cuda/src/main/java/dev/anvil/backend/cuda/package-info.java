/**
 * CUDA backend through the JavaCPP presets: device memory from a caching allocator, GEMM through cuBLAS,
 * and every other primitive as a CUDA C kernel ({@code kernels/*.cu} resources) compiled at start-up with
 * NVRTC. Needs the NVIDIA driver and the CUDA 13 runtime, cuBLAS and NVRTC libraries at run time; without
 * them the provider reports which one is missing. See the module's README.
 */
package dev.anvil.backend.cuda;
