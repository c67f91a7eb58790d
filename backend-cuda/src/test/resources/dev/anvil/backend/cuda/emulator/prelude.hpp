// CPU stand-ins for the CUDA built-ins the kernels use, so that g++ compiles the very same .cu sources into
// a host library (EmulatedRuntime). Each launch runs gridDim blocks one after another, each block as
// blockDim OS threads meeting at a barrier for __syncthreads, with real atomics.
#pragma once
#include <math.h>
#include <pthread.h>
#include <string.h>
#include <thread>
#include <vector>

#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static

struct emu_dim3 {
    unsigned x, y, z;
};
static thread_local emu_dim3 threadIdx;
static thread_local emu_dim3 blockIdx;
static emu_dim3 blockDim;
static emu_dim3 gridDim;
static pthread_barrier_t emu_barrier;

static inline void __syncthreads() {
    pthread_barrier_wait(&emu_barrier);
}

static inline unsigned __float_as_uint(float f) {
    unsigned u;
    memcpy(&u, &f, 4);
    return u;
}

static inline float __uint_as_float(unsigned u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static inline float __int_as_float(int i) {
    float f;
    memcpy(&f, &i, 4);
    return f;
}

static inline double __longlong_as_double(long long l) {
    double d;
    memcpy(&d, &l, 8);
    return d;
}

static inline unsigned long long atomicCAS(unsigned long long* p, unsigned long long expected, unsigned long long value) {
    return __sync_val_compare_and_swap(p, expected, value);
}

static inline unsigned atomicCAS(unsigned* p, unsigned expected, unsigned value) {
    return __sync_val_compare_and_swap(p, expected, value);
}

static inline unsigned long long atomicAdd(unsigned long long* p, unsigned long long v) {
    return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}

static inline int atomicAdd(int* p, int v) {
    return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}

static inline float atomicAdd(float* p, float v) {
    unsigned* w = (unsigned*) p;
    unsigned old = __atomic_load_n(w, __ATOMIC_SEQ_CST);
    while (true) {
        unsigned next = __float_as_uint(__uint_as_float(old) + v);
        unsigned seen = __sync_val_compare_and_swap(w, old, next);
        if (seen == old) {
            return __uint_as_float(old);
        }
        old = seen;
    }
}

static inline double atomicAdd(double* p, double v) {
    unsigned long long* w = (unsigned long long*) p;
    unsigned long long old = __atomic_load_n(w, __ATOMIC_SEQ_CST);
    while (true) {
        double o;
        memcpy(&o, &old, 8);
        double n = o + v;
        unsigned long long next;
        memcpy(&next, &n, 8);
        unsigned long long seen = __sync_val_compare_and_swap(w, old, next);
        if (seen == old) {
            return o;
        }
        old = seen;
    }
}

template <class F>
static void emu_run(unsigned grid, unsigned block, F body) {
    gridDim = {grid, 1, 1};
    blockDim = {block, 1, 1};
    for (unsigned b = 0; b < grid; b++) {
        pthread_barrier_init(&emu_barrier, nullptr, block);
        std::vector<std::thread> threads;
        for (unsigned t = 0; t < block; t++) {
            threads.emplace_back([b, t, &body] {
                blockIdx = {b, 0, 0};
                threadIdx = {t, 0, 0};
                body();
            });
        }
        for (auto& t : threads) {
            t.join();
        }
        pthread_barrier_destroy(&emu_barrier);
    }
}
