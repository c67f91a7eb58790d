// Shared definitions of Anvil's CUDA kernels. Compiled by NVRTC at run time (and by nvcc -ptx in the
// tests), so it includes no system header: only built-in types, math functions and intrinsics.
#pragma once

typedef long long i64;
typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

// dev.anvil.DType ordinals (KernelSourcesTest checks that they match the Java enum).
#define T_F32 0
#define T_F64 1
#define T_F16 2
#define T_BF16 3
#define T_I64 4
#define T_I32 5
#define T_I16 6
#define T_I8 7
#define T_U8 8
#define T_BOOL 9

// dev.anvil.spi.UnaryOp ordinals.
#define U_NEG 0
#define U_EXP 1
#define U_LOG 2
#define U_SQRT 3
#define U_RSQRT 4
#define U_ABS 5
#define U_TANH 6
#define U_SIGMOID 7
#define U_RELU 8
#define U_GELU 9
#define U_SIN 10
#define U_COS 11

// dev.anvil.spi.BinaryOp ordinals; EQ and above are comparisons writing BOOL.
#define B_ADD 0
#define B_SUB 1
#define B_MUL 2
#define B_DIV 3
#define B_POW 4
#define B_MAX 5
#define B_MIN 6
#define B_EQ 7
#define B_NE 8
#define B_LT 9
#define B_LE 10
#define B_GT 11
#define B_GE 12

// dev.anvil.spi.ReduceOp ordinals.
#define R_SUM 0
#define R_MAX 1
#define R_MIN 2

// Error codes a kernel reports through its i64 err[2] buffer: {code, value}.
#define E_INDEX 1
#define E_DIV_ZERO 2
#define E_NEG_EXPONENT 3

#define ANVIL_MAX_RANK 8
#define ANVIL_MAX_OPS 4

// Shape and element strides of up to four operands walked together in row-major order of `dims`.
// Written byte for byte by dev.anvil.backend.cuda.Strided (328 bytes).
struct Strided {
    int rank;                                  // merged dimensions in use, 0..ANVIL_MAX_RANK
    int dims[ANVIL_MAX_RANK];
    int narrow;                                // 1 when every linear index fits 31 bits (32-bit division)
    i64 strides[ANVIL_MAX_OPS][ANVIL_MAX_RANK];
    i64 offsets[ANVIL_MAX_OPS];
};
static_assert(sizeof(Strided) == 328, "Strided must match dev.anvil.backend.cuda.Strided.BYTES");
#ifndef __CUDACC_RTC__
// NVRTC has no __builtin_offsetof; nvcc (the build-time test) and g++ (the emulated runtime) check the offsets
static_assert(__builtin_offsetof(Strided, narrow) == 36, "Strided.narrow offset");
static_assert(__builtin_offsetof(Strided, strides) == 40, "Strided.strides offset");
static_assert(__builtin_offsetof(Strided, offsets) == 296, "Strided.offsets offset");
#endif

// Element offsets of the i-th element (row-major over s.dims) in the first N operands.
template <int N>
__device__ __forceinline__ void locate(const Strided& s, i64 i, i64 (&o)[N]) {
#pragma unroll
    for (int k = 0; k < N; k++) {
        o[k] = s.offsets[k];
    }
    if (s.rank <= 1) {  // contiguous, scalar-broadcast or single-strided: no division at all
#pragma unroll
        for (int k = 0; k < N; k++) {
            o[k] += i * s.strides[k][0];
        }
        return;
    }
    if (s.narrow) {
        u32 rest = (u32) i;
        for (int d = s.rank - 1; d >= 1; d--) {
            u32 dim = (u32) s.dims[d];
            u32 c = rest % dim;
            rest /= dim;
#pragma unroll
            for (int k = 0; k < N; k++) {
                o[k] += (i64) c * s.strides[k][d];
            }
        }
#pragma unroll
        for (int k = 0; k < N; k++) {
            o[k] += (i64) rest * s.strides[k][0];
        }
    } else {
        i64 rest = i;
        for (int d = s.rank - 1; d >= 1; d--) {
            i64 dim = s.dims[d];
            i64 c = rest % dim;
            rest /= dim;
#pragma unroll
            for (int k = 0; k < N; k++) {
                o[k] += c * s.strides[k][d];
            }
        }
#pragma unroll
        for (int k = 0; k < N; k++) {
            o[k] += rest * s.strides[k][0];
        }
    }
}

#define GRID_STRIDE(i, n) for (i64 i = (i64) blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (i64) blockDim.x * gridDim.x)

__device__ __forceinline__ bool is_floating(int t) {
    return t == T_F32 || t == T_F64 || t == T_F16 || t == T_BF16;
}

__device__ __forceinline__ double nan_d() {
    return __longlong_as_double(0x7ff8000000000000LL);
}

__device__ __forceinline__ double inf_d() {
    return __longlong_as_double(0x7ff0000000000000LL);
}

// ---------------------------------------------------------------- conversions (as dev.anvil.spi.HostAccess)

// Java's (long) d: NaN is 0, out-of-range values saturate.
__device__ __forceinline__ i64 d2l(double d) {
    if (d != d) {
        return 0;
    }
    if (d >= 9.2233720368547758e18) {
        return 0x7fffffffffffffffLL;
    }
    if (d <= -9.2233720368547758e18) {
        return (i64) 0x8000000000000000ULL;
    }
    return (i64) d;
}

// IEEE binary16 to float (exact), as Float.float16ToFloat.
__device__ __forceinline__ float h2f(u16 h) {
    u32 sign = ((u32) h & 0x8000u) << 16;
    u32 e = ((u32) h >> 10) & 0x1fu;
    u32 m = (u32) h & 0x3ffu;
    if (e == 0) {
        float v = (float) m * 5.9604644775390625e-8f;  // m * 2^-24, exact
        return sign ? -v : v;
    }
    if (e == 31) {
        return __uint_as_float(sign | 0x7f800000u | (m << 13));
    }
    return __uint_as_float(sign | ((e + 112u) << 23) | (m << 13));
}

// float to IEEE binary16, rounding to nearest even, as Float.floatToFloat16.
__device__ __forceinline__ u16 f2h(float f) {
    u32 x = __float_as_uint(f);
    u32 sign = (x >> 16) & 0x8000u;
    u32 ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) {
        return (u16) (sign | (ax > 0x7f800000u ? 0x7e00u | ((ax >> 13) & 0x3ffu) : 0x7c00u));
    }
    if (ax >= 0x477ff000u) {  // 65520 and above round to infinity
        return (u16) (sign | 0x7c00u);
    }
    if (ax < 0x38800000u) {  // below 2^-14: a subnormal half (or zero); a * 2^24 is exact, rintf rounds to even
        u32 m = (u32) rintf(__uint_as_float(ax) * 16777216.0f);
        return (u16) (sign | m);
    }
    u32 r = ax - 0x38000000u;  // rebias the exponent from 127 to 15
    r += 0xfffu + ((r >> 13) & 1u);
    return (u16) (sign | (r >> 13));
}

__device__ __forceinline__ float bf2f(u16 h) {
    return __uint_as_float(((u32) h) << 16);
}

// float to bfloat16, rounding to nearest even; NaN stays NaN (as HostAccess.floatToBf16).
__device__ __forceinline__ u16 f2bf(float f) {
    u32 bits = __float_as_uint(f);
    if (f != f) {
        return (u16) ((bits >> 16) | 0x40u);
    }
    return (u16) ((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

// Element i of a buffer of type t, as a double (HostAccess.getDouble).
__device__ __forceinline__ double load_d(const char* p, int t, i64 i) {
    switch (t) {
        case T_F32: return ((const float*) p)[i];
        case T_F64: return ((const double*) p)[i];
        case T_F16: return h2f(((const u16*) p)[i]);
        case T_BF16: return bf2f(((const u16*) p)[i]);
        case T_I64: return (double) ((const i64*) p)[i];
        case T_I32: return ((const int*) p)[i];
        case T_I16: return ((const short*) p)[i];
        case T_I8: return ((const signed char*) p)[i];
        case T_U8: return ((const u8*) p)[i];
        default: return ((const u8*) p)[i] != 0 ? 1.0 : 0.0;
    }
}

// Element i as an integer; floating values truncate toward zero (HostAccess.getLong).
__device__ __forceinline__ i64 load_l(const char* p, int t, i64 i) {
    switch (t) {
        case T_I64: return ((const i64*) p)[i];
        case T_I32: return ((const int*) p)[i];
        case T_I16: return ((const short*) p)[i];
        case T_I8: return ((const signed char*) p)[i];
        case T_U8: return ((const u8*) p)[i];
        case T_BOOL: return ((const u8*) p)[i] != 0 ? 1 : 0;
        default: return d2l(load_d(p, t, i));
    }
}

__device__ __forceinline__ void store_l(char* p, int t, i64 i, i64 v);

// Stores v converted to t (HostAccess.putDouble): half types round through float, integers truncate.
__device__ __forceinline__ void store_d(char* p, int t, i64 i, double v) {
    switch (t) {
        case T_F32: ((float*) p)[i] = (float) v; break;
        case T_F64: ((double*) p)[i] = v; break;
        case T_F16: ((u16*) p)[i] = f2h((float) v); break;
        case T_BF16: ((u16*) p)[i] = f2bf((float) v); break;
        case T_BOOL: ((u8*) p)[i] = v != 0.0 ? 1 : 0; break;
        default: store_l(p, t, i, d2l(v)); break;
    }
}

// Stores integer v converted to t, wrapping like a C cast for narrow types (HostAccess.putLong).
__device__ __forceinline__ void store_l(char* p, int t, i64 i, i64 v) {
    switch (t) {
        case T_I64: ((i64*) p)[i] = v; break;
        case T_I32: ((int*) p)[i] = (int) v; break;
        case T_I16: ((short*) p)[i] = (short) v; break;
        case T_I8:
        case T_U8: ((u8*) p)[i] = (u8) v; break;
        case T_BOOL: ((u8*) p)[i] = v != 0 ? 1 : 0; break;
        default: store_d(p, t, i, (double) v); break;
    }
}

// Copies one element of `size` bytes.
__device__ __forceinline__ void move_elem(char* dst, i64 di, const char* src, i64 si, int size) {
    switch (size) {
        case 8: ((u64*) dst)[di] = ((const u64*) src)[si]; break;
        case 4: ((u32*) dst)[di] = ((const u32*) src)[si]; break;
        case 2: ((u16*) dst)[di] = ((const u16*) src)[si]; break;
        default: ((u8*) dst)[di] = ((const u8*) src)[si]; break;
    }
}

// Records the first error of a launch: err[0] = code, err[1] = the offending value.
__device__ __forceinline__ void report(i64* err, int code, i64 value) {
    if (atomicCAS((u64*) err, 0ULL, (u64) code) == 0ULL) {
        err[1] = value;
    }
}
