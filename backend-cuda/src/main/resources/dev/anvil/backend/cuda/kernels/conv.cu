// im2col / col2im for 2-D convolutions (dev.anvil.spi.ConvGeometry): x is a contiguous [n, c, h, w] batch,
// cols a contiguous [n, c*kh*kw, oh*ow] matrix; both pointers point at the first element of the view.
#include "anvil_common.cuh"

// Written by dev.anvil.backend.cuda.IndexOps: fourteen ints.
struct Conv {
    int n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
};
static_assert(sizeof(Conv) == 56, "Conv must match IndexOps.CONV_BYTES");

// One thread per column element; padding reads as zero.
template <typename T>
__device__ __forceinline__ void im2col(const Conv& g, i64 total, const T* x, T* cols) {
    GRID_STRIDE(i, total) {
        i64 rest = i;
        int xx = (int) (rest % g.ow);
        rest /= g.ow;
        int y = (int) (rest % g.oh);
        rest /= g.oh;
        int kj = (int) (rest % g.kw);
        rest /= g.kw;
        int ki = (int) (rest % g.kh);
        rest /= g.kh;
        int ch = (int) (rest % g.c);
        i64 n = rest / g.c;
        int iy = y * g.sh - g.ph + ki * g.dh;
        int ix = xx * g.sw - g.pw + kj * g.dw;
        bool inside = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
        cols[i] = inside ? x[((n * g.c + ch) * g.h + iy) * g.w + ix] : (T) 0;
    }
}

// One thread per image element, adding every patch entry that came from it in the reference backend's
// order (kernel row, then kernel column), so the result is deterministic and needs no atomics.
template <typename T>
__device__ __forceinline__ void col2im(const Conv& g, i64 total, const T* cols, T* x) {
    i64 colRows = (i64) g.c * g.kh * g.kw;
    i64 plane = (i64) g.oh * g.ow;
    GRID_STRIDE(i, total) {
        i64 rest = i;
        int ix = (int) (rest % g.w);
        rest /= g.w;
        int iy = (int) (rest % g.h);
        rest /= g.h;
        int ch = (int) (rest % g.c);
        i64 n = rest / g.c;
        T acc = x[i];
        for (int ki = 0; ki < g.kh; ki++) {
            int ty = iy + g.ph - ki * g.dh;
            if (ty < 0 || ty % g.sh != 0 || ty / g.sh >= g.oh) {
                continue;
            }
            int y = ty / g.sh;
            for (int kj = 0; kj < g.kw; kj++) {
                int tx = ix + g.pw - kj * g.dw;
                if (tx < 0 || tx % g.sw != 0 || tx / g.sw >= g.ow) {
                    continue;
                }
                int xx = tx / g.sw;
                i64 row = ((i64) ch * g.kh + ki) * g.kw + kj;
                acc += cols[(n * colRows + row) * plane + (i64) y * g.ow + xx];
            }
        }
        x[i] = acc;
    }
}

extern "C" __global__ void im2col_f32_k(Conv g, i64 total, const float* x, float* cols) {
    im2col<float>(g, total, x, cols);
}

extern "C" __global__ void im2col_f64_k(Conv g, i64 total, const double* x, double* cols) {
    im2col<double>(g, total, x, cols);
}

extern "C" __global__ void col2im_f32_k(Conv g, i64 total, const float* cols, float* x) {
    col2im<float>(g, total, cols, x);
}

extern "C" __global__ void col2im_f64_k(Conv g, i64 total, const double* cols, double* x) {
    col2im<double>(g, total, cols, x);
}
