// Reductions over axes and arg-reductions. Floating inputs accumulate in double (as the reference backend
// does), integer and BOOL inputs in i64; MAX and MIN propagate NaN. Geometry: `outer` walks the kept
// dimensions (operand 0: x, operand 1: out), `inner` walks the reduced ones (operand 0: x, offset 0).
#include "anvil_common.cuh"

#define REDUCE_THREADS 256

__device__ __forceinline__ double combine_d(int op, double acc, double v) {
    if (op == R_SUM) {
        return acc + v;
    }
    if (acc != acc || v != v) {
        return nan_d();
    }
    return op == R_MAX ? (v > acc ? v : acc) : (v < acc ? v : acc);
}

__device__ __forceinline__ i64 combine_l(int op, i64 acc, i64 v) {
    if (op == R_SUM) {
        return (i64) ((u64) acc + (u64) v);
    }
    return op == R_MAX ? (v > acc ? v : acc) : (v < acc ? v : acc);
}

__device__ __forceinline__ double init_d(int op) {
    return op == R_SUM ? 0.0 : op == R_MAX ? -inf_d() : inf_d();
}

__device__ __forceinline__ i64 init_l(int op) {
    return op == R_SUM ? 0 : op == R_MAX ? (i64) 0x8000000000000000ULL : 0x7fffffffffffffffLL;
}

// One block per output element; its threads split the reduced elements and meet in a shared-memory tree.
// blockDim.x is a power of two, at most REDUCE_THREADS.
extern "C" __global__ void reduce_k(int op, int xt, int ot, i64 outN, i64 redN, Strided outer, Strided inner,
                                    const char* x, char* out) {
    __shared__ double sd[REDUCE_THREADS];
    __shared__ i64 sl[REDUCE_THREADS];
    bool integral = !is_floating(xt);
    for (i64 j = blockIdx.x; j < outN; j += gridDim.x) {
        i64 oo[2];
        locate<2>(outer, j, oo);
        double ad = init_d(op);
        i64 al = init_l(op);
        for (i64 r = threadIdx.x; r < redN; r += blockDim.x) {
            i64 io[1];
            locate<1>(inner, r, io);
            i64 xi = oo[0] + io[0];
            if (integral) {
                al = combine_l(op, al, load_l(x, xt, xi));
            } else {
                ad = combine_d(op, ad, load_d(x, xt, xi));
            }
        }
        sd[threadIdx.x] = ad;
        sl[threadIdx.x] = al;
        __syncthreads();
        for (int half = blockDim.x / 2; half > 0; half >>= 1) {
            if (threadIdx.x < half) {
                if (integral) {
                    sl[threadIdx.x] = combine_l(op, sl[threadIdx.x], sl[threadIdx.x + half]);
                } else {
                    sd[threadIdx.x] = combine_d(op, sd[threadIdx.x], sd[threadIdx.x + half]);
                }
            }
            __syncthreads();
        }
        if (threadIdx.x == 0) {
            if (integral) {
                store_l(out, ot, oo[1], sl[0]);
            } else {
                store_d(out, ot, oo[1], sd[0]);
            }
        }
        __syncthreads();
    }
}

// One thread per output element, walking the reduced elements in order: used when neighbouring outputs
// are neighbours in x (e.g. summing a [batch, features] gradient over the batch), so reads coalesce.
extern "C" __global__ void reduce_cols_k(int op, int xt, int ot, i64 outN, i64 redN, Strided outer, Strided inner,
                                         const char* x, char* out) {
    bool integral = !is_floating(xt);
    GRID_STRIDE(j, outN) {
        i64 oo[2];
        locate<2>(outer, j, oo);
        double ad = init_d(op);
        i64 al = init_l(op);
        for (i64 r = 0; r < redN; r++) {
            i64 io[1];
            locate<1>(inner, r, io);
            i64 xi = oo[0] + io[0];
            if (integral) {
                al = combine_l(op, al, load_l(x, xt, xi));
            } else {
                ad = combine_d(op, ad, load_d(x, xt, xi));
            }
        }
        if (integral) {
            store_l(out, ot, oo[1], al);
        } else {
            store_d(out, ot, oo[1], ad);
        }
    }
}

// Which of two candidates wins an argmax/argmin: NaN beats everything, then the larger (smaller) value,
// then the lower index, which reproduces "the first maximum, and the first NaN" of a sequential scan.
__device__ __forceinline__ bool takes(bool isMax, double v, i64 vi, double best, i64 bi) {
    bool vn = v != v;
    bool bn = best != best;
    if (vn || bn) {
        return vn && (!bn || vi < bi);
    }
    if (v == best) {
        return vi < bi;
    }
    return isMax ? v > best : v < best;
}

// Index (I64) of the first max/min along one axis of length len and stride step; one block per output.
// outer walks the other dimensions (operand 0: x, operand 1: out).
extern "C" __global__ void argreduce_k(int isMax, int xt, i64 outN, i64 len, i64 step, Strided outer, const char* x,
                                       i64* out) {
    __shared__ double sv[REDUCE_THREADS];
    __shared__ i64 si[REDUCE_THREADS];
    for (i64 j = blockIdx.x; j < outN; j += gridDim.x) {
        i64 oo[2];
        locate<2>(outer, j, oo);
        double best = 0.0;
        i64 bi = -1;
        for (i64 r = threadIdx.x; r < len; r += blockDim.x) {
            double v = load_d(x, xt, oo[0] + r * step);
            if (bi < 0 || takes(isMax != 0, v, r, best, bi)) {
                best = v;
                bi = r;
            }
        }
        sv[threadIdx.x] = best;
        si[threadIdx.x] = bi;
        __syncthreads();
        for (int half = blockDim.x / 2; half > 0; half >>= 1) {
            if (threadIdx.x < half) {
                i64 oi = si[threadIdx.x + half];
                if (oi >= 0 && (si[threadIdx.x] < 0 || takes(isMax != 0, sv[threadIdx.x + half], oi, sv[threadIdx.x], si[threadIdx.x]))) {
                    sv[threadIdx.x] = sv[threadIdx.x + half];
                    si[threadIdx.x] = oi;
                }
            }
            __syncthreads();
        }
        if (threadIdx.x == 0) {
            out[oo[1]] = si[0];
        }
        __syncthreads();
    }
}
