// gather and scatter-add along one axis (torch.gather / Tensor.scatter_add_). Every index is checked
// against the axis size; the first bad one is reported through err (code E_INDEX, the index value) and
// the host turns it into an IllegalArgumentException.
#include "anvil_common.cuh"

__device__ __forceinline__ i64 load_index(const char* index, int it, i64 at) {
    return it == T_I64 ? ((const i64*) index)[at] : (i64) ((const int*) index)[at];
}

// Walks index's shape: operand 0 index, operand 1 out, operand 2 x with stride 0 on the gathered axis.
extern "C" __global__ void gather_k(int size, int it, i64 n, Strided s, i64 axisSize, i64 axisStride, const char* x,
                                    const char* index, char* out, i64* err) {
    GRID_STRIDE(i, n) {
        i64 o[3];
        locate<3>(s, i, o);
        i64 k = load_index(index, it, o[0]);
        if (k < 0 || k >= axisSize) {
            report(err, E_INDEX, k);
            continue;
        }
        move_elem(out, o[1], x, o[2] + k * axisStride, size);
    }
}

// Atomically adds v to a 1- or 2-byte integer element through the aligned 32-bit word holding it (device
// blocks are 512-byte multiples, so the word never leaves the allocation).
__device__ __forceinline__ void atomic_add_narrow(char* p, int t, i64 v) {
    u64 addr = (u64) p;
    u32* word = (u32*) (addr & ~3ULL);
    int shift = (int) (addr & 3ULL) * 8;
    u32 mask = t == T_I16 ? 0xffffu : 0xffu;
    u32 old = *word;
    while (true) {
        u32 cur = (old >> shift) & mask;
        i64 curv = t == T_I16 ? (i64) (short) cur : t == T_I8 ? (i64) (signed char) cur : (i64) cur;
        i64 sum = curv + v;
        u32 next = t == T_BOOL ? (sum != 0 ? 1u : 0u) : ((u32) sum & mask);
        u32 updated = (old & ~(mask << shift)) | (next << shift);
        u32 seen = atomicCAS(word, old, updated);
        if (seen == old) {
            return;
        }
        old = seen;
    }
}

// Walks index's shape: operand 0 index, operand 1 src, operand 2 out with stride 0 on the scattered axis.
extern "C" __global__ void scatter_add_k(int t, int it, i64 n, Strided s, i64 axisSize, i64 axisStride,
                                         const char* src, const char* index, char* out, i64* err) {
    GRID_STRIDE(i, n) {
        i64 o[3];
        locate<3>(s, i, o);
        i64 k = load_index(index, it, o[0]);
        if (k < 0 || k >= axisSize) {
            report(err, E_INDEX, k);
            continue;
        }
        i64 at = o[2] + k * axisStride;
        switch (t) {
            case T_F32: atomicAdd(((float*) out) + at, ((const float*) src)[o[1]]); break;
            case T_F64: atomicAdd(((double*) out) + at, ((const double*) src)[o[1]]); break;
            case T_I64: atomicAdd(((u64*) out) + at, (u64) ((const i64*) src)[o[1]]); break;
            case T_I32: atomicAdd(((int*) out) + at, ((const int*) src)[o[1]]); break;
            case T_I16: atomic_add_narrow(out + at * 2, t, load_l(src, t, o[1])); break;
            default: atomic_add_narrow(out + at, t, load_l(src, t, o[1])); break;
        }
    }
}
