// Elementwise kernels: fill, copy (with casts), unary, binary, where. Every kernel walks n elements with a
// grid-stride loop and finds each operand's element through a Strided geometry, so views (transposed,
// sliced, broadcast with stride 0) need no copies. Semantics follow dev.anvil.backend.reference.
#include "anvil_common.cuh"

// ---------------------------------------------------------------- memory

// Sets every element of out (operand 0) to the raw bit pattern `bits` of `size` bytes.
extern "C" __global__ void fill_k(int size, u64 bits, i64 n, Strided s, char* out) {
    GRID_STRIDE(i, n) {
        i64 o[1];
        locate<1>(s, i, o);
        switch (size) {
            case 8: ((u64*) out)[o[0]] = bits; break;
            case 4: ((u32*) out)[o[0]] = (u32) bits; break;
            case 2: ((u16*) out)[o[0]] = (u16) bits; break;
            default: ((u8*) out)[o[0]] = (u8) bits; break;
        }
    }
}

// Same-type strided copy: src is operand 0, dst operand 1.
extern "C" __global__ void copy_raw_k(int size, i64 n, Strided s, const char* src, char* dst) {
    GRID_STRIDE(i, n) {
        i64 o[2];
        locate<2>(s, i, o);
        move_elem(dst, o[1], src, o[0], size);
    }
}

// Converting copy (ReferenceBackend.copy): integer to integer goes through i64, anything else through double.
extern "C" __global__ void copy_cast_k(int st, int dt, i64 n, Strided s, const char* src, char* dst) {
    bool integral = !is_floating(st) && !is_floating(dt);
    GRID_STRIDE(i, n) {
        i64 o[2];
        locate<2>(s, i, o);
        if (integral) {
            store_l(dst, dt, o[1], load_l(src, st, o[0]));
        } else {
            store_d(dst, dt, o[1], load_d(src, st, o[0]));
        }
    }
}

// ---------------------------------------------------------------- unary

__device__ __forceinline__ float unary_f(int op, float x) {
    switch (op) {
        case U_NEG: return -x;
        case U_EXP: return expf(x);
        case U_LOG: return logf(x);
        case U_SQRT: return sqrtf(x);
        case U_RSQRT: return 1.0f / sqrtf(x);
        case U_ABS: return fabsf(x);
        case U_TANH: return tanhf(x);
        case U_SIGMOID: {
            if (x >= 0.0f) {
                return 1.0f / (1.0f + expf(-x));
            }
            float e = expf(x);
            return e / (1.0f + e);
        }
        case U_RELU: return x > 0.0f ? x : (x != x ? x : 0.0f);
        // erfc(-x/sqrt 2) = 1 + erf(x/sqrt 2) without the cancellation for negative x
        case U_GELU: return 0.5f * x * erfcf(-x * 0.70710678118654752f);
        case U_SIN: return sinf(x);
        default: return cosf(x);
    }
}

__device__ __forceinline__ double unary_d(int op, double x) {
    switch (op) {
        case U_NEG: return -x;
        case U_EXP: return exp(x);
        case U_LOG: return log(x);
        case U_SQRT: return sqrt(x);
        case U_RSQRT: return 1.0 / sqrt(x);
        case U_ABS: return fabs(x);
        case U_TANH: return tanh(x);
        case U_SIGMOID: {
            if (x >= 0.0) {
                return 1.0 / (1.0 + exp(-x));
            }
            double e = exp(x);
            return e / (1.0 + e);
        }
        case U_RELU: return x > 0.0 ? x : (x != x ? x : 0.0);
        case U_GELU: return 0.5 * x * erfc(-x * 0.70710678118654752440);
        case U_SIN: return sin(x);
        default: return cos(x);
    }
}

// x is operand 0, out operand 1 (out may be x itself).
extern "C" __global__ void unary_f32_k(int op, i64 n, Strided s, const float* x, float* out) {
    GRID_STRIDE(i, n) {
        i64 o[2];
        locate<2>(s, i, o);
        out[o[1]] = unary_f(op, x[o[0]]);
    }
}

extern "C" __global__ void unary_f64_k(int op, i64 n, Strided s, const double* x, double* out) {
    GRID_STRIDE(i, n) {
        i64 o[2];
        locate<2>(s, i, o);
        out[o[1]] = unary_d(op, x[o[0]]);
    }
}

// NEG, ABS and RELU on integer types (and RELU on BOOL), computed in i64 and wrapped on store.
extern "C" __global__ void unary_int_k(int op, int t, i64 n, Strided s, const char* x, char* out) {
    GRID_STRIDE(i, n) {
        i64 o[2];
        locate<2>(s, i, o);
        i64 v = load_l(x, t, o[0]);
        i64 r = op == U_NEG ? (i64) (0ULL - (u64) v) : op == U_ABS ? (v < 0 ? (i64) (0ULL - (u64) v) : v) : (v > 0 ? v : 0);
        store_l(out, t, o[1], r);
    }
}

// ---------------------------------------------------------------- binary

template <typename T>
__device__ __forceinline__ T arith(int op, T a, T b);

template <>
__device__ __forceinline__ float arith<float>(int op, float a, float b) {
    switch (op) {
        case B_ADD: return a + b;
        case B_SUB: return a - b;
        case B_MUL: return a * b;
        case B_DIV: return a / b;
        case B_POW: return powf(a, b);
        case B_MAX: return (a != a || b != b) ? a + b : (a > b ? a : b);
        default: return (a != a || b != b) ? a + b : (a < b ? a : b);
    }
}

template <>
__device__ __forceinline__ double arith<double>(int op, double a, double b) {
    switch (op) {
        case B_ADD: return a + b;
        case B_SUB: return a - b;
        case B_MUL: return a * b;
        case B_DIV: return a / b;
        case B_POW: return pow(a, b);
        case B_MAX: return (a != a || b != b) ? a + b : (a > b ? a : b);
        default: return (a != a || b != b) ? a + b : (a < b ? a : b);
    }
}

template <typename T>
__device__ __forceinline__ bool compare(int op, T a, T b) {
    switch (op) {
        case B_EQ: return a == b;
        case B_NE: return a != b;
        case B_LT: return a < b;
        case B_LE: return a <= b;
        case B_GT: return a > b;
        default: return a >= b;
    }
}

// a, b and out are operands 0, 1, 2; out has type T, or BOOL (u8) for comparisons.
template <typename T>
__device__ __forceinline__ void binary_float(int op, i64 n, const Strided& s, const T* a, const T* b, void* out) {
    if (op >= B_EQ) {
        GRID_STRIDE(i, n) {
            i64 o[3];
            locate<3>(s, i, o);
            ((u8*) out)[o[2]] = compare<T>(op, a[o[0]], b[o[1]]) ? 1 : 0;
        }
    } else {
        GRID_STRIDE(i, n) {
            i64 o[3];
            locate<3>(s, i, o);
            ((T*) out)[o[2]] = arith<T>(op, a[o[0]], b[o[1]]);
        }
    }
}

extern "C" __global__ void binary_f32_k(int op, i64 n, Strided s, const float* a, const float* b, void* out) {
    binary_float<float>(op, n, s, a, b, out);
}

extern "C" __global__ void binary_f64_k(int op, i64 n, Strided s, const double* a, const double* b, void* out) {
    binary_float<double>(op, n, s, a, b, out);
}

struct alignas(16) float_x4 {
    float v[4];
};

// Dense F32 a op b with no broadcasting: the fast path of add/mul/... on contiguous tensors. When all three
// pointers are 16-byte aligned it moves four floats per load and store (the last n % 4 one by one).
extern "C" __global__ void binary_f32_dense_k(int op, i64 n, const float* a, const float* b, float* out) {
    i64 done = 0;
    if ((((u64) a | (u64) b | (u64) out) & 15ULL) == 0) {
        i64 quads = n / 4;
        GRID_STRIDE(q, quads) {
            float_x4 x = ((const float_x4*) a)[q];
            float_x4 y = ((const float_x4*) b)[q];
            float_x4 r;
#pragma unroll
            for (int k = 0; k < 4; k++) {
                r.v[k] = arith<float>(op, x.v[k], y.v[k]);
            }
            ((float_x4*) out)[q] = r;
        }
        done = quads * 4;
    }
    for (i64 i = done + (i64) blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64) blockDim.x * gridDim.x) {
        out[i] = arith<float>(op, a[i], b[i]);
    }
}

// Integer (and BOOL) operands of type t computed in i64 (ScalarMath.apply(BinaryOp, long, long)); out has
// type ot. Division by zero and negative integer exponents are reported through err.
extern "C" __global__ void binary_int_k(int op, int t, int ot, i64 n, Strided s, const char* a, const char* b, char* out,
                                        i64* err) {
    GRID_STRIDE(i, n) {
        i64 o[3];
        locate<3>(s, i, o);
        i64 x = load_l(a, t, o[0]);
        i64 y = load_l(b, t, o[1]);
        i64 r;
        switch (op) {
            case B_ADD: r = (i64) ((u64) x + (u64) y); break;
            case B_SUB: r = (i64) ((u64) x - (u64) y); break;
            case B_MUL: r = (i64) ((u64) x * (u64) y); break;
            case B_DIV: {
                if (y == 0) {
                    report(err, E_DIV_ZERO, x);
                    r = 0;
                } else if (x == (i64) 0x8000000000000000ULL && y == -1) {
                    r = x;  // Math.floorDiv overflows to Long.MIN_VALUE
                } else {
                    i64 q = x / y;
                    if ((x % y != 0) && ((x < 0) != (y < 0))) {
                        q--;
                    }
                    r = q;
                }
                break;
            }
            case B_POW: {
                if (y < 0) {
                    report(err, E_NEG_EXPONENT, y);
                    r = 0;
                    break;
                }
                u64 acc = 1;
                u64 base = (u64) x;
                for (i64 e = y; e > 0; e >>= 1) {
                    if (e & 1) {
                        acc *= base;
                    }
                    base *= base;
                }
                r = (i64) acc;
                break;
            }
            case B_MAX: r = x > y ? x : y; break;
            case B_MIN: r = x < y ? x : y; break;
            default: r = compare<i64>(op, x, y) ? 1 : 0; break;
        }
        store_l(out, ot, o[2], r);
    }
}

// ---------------------------------------------------------------- where

// cond (BOOL), a, b, out are operands 0..3; a, b and out share an element size.
extern "C" __global__ void where_k(int size, i64 n, Strided s, const u8* cond, const char* a, const char* b, char* out) {
    GRID_STRIDE(i, n) {
        i64 o[4];
        locate<4>(s, i, o);
        if (cond[o[0]] != 0) {
            move_elem(out, o[3], a, o[1], size);
        } else {
            move_elem(out, o[3], b, o[2], size);
        }
    }
}
