// Softmax and log-softmax over the last axis of a contiguous [rows, cols] tensor, one block per row:
// the row maximum (NaN propagates) is subtracted before exponentiating, and the sum is accumulated in
// double, as the reference backend does. x and out point at the first element of the view.
#include "anvil_common.cuh"

#define SOFTMAX_THREADS 256

template <typename T>
__device__ __forceinline__ void softmax_rows(i64 rows, i64 cols, int logMode, const T* x, T* out) {
    __shared__ double red[SOFTMAX_THREADS];
    for (i64 row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* xr = x + row * cols;
        T* orow = out + row * cols;
        double m = -inf_d();
        for (i64 c = threadIdx.x; c < cols; c += blockDim.x) {
            double v = (double) xr[c];
            m = (m != m || v != v) ? nan_d() : (v > m ? v : m);
        }
        red[threadIdx.x] = m;
        __syncthreads();
        for (int half = blockDim.x / 2; half > 0; half >>= 1) {
            if (threadIdx.x < half) {
                double a = red[threadIdx.x];
                double b = red[threadIdx.x + half];
                red[threadIdx.x] = (a != a || b != b) ? nan_d() : (b > a ? b : a);
            }
            __syncthreads();
        }
        double max = red[0];
        if (max == -inf_d()) {
            max = 0.0;  // a row of -inf: softmax is 0/0 = NaN and log-softmax -inf - log(0), as in PyTorch
        }
        __syncthreads();
        double sum = 0.0;
        for (i64 c = threadIdx.x; c < cols; c += blockDim.x) {
            sum += exp((double) xr[c] - max);
        }
        red[threadIdx.x] = sum;
        __syncthreads();
        for (int half = blockDim.x / 2; half > 0; half >>= 1) {
            if (threadIdx.x < half) {
                red[threadIdx.x] += red[threadIdx.x + half];
            }
            __syncthreads();
        }
        sum = red[0];
        double logSum = log(sum);
        for (i64 c = threadIdx.x; c < cols; c += blockDim.x) {
            double v = (double) xr[c] - max;
            orow[c] = (T) (logMode ? v - logSum : exp(v) / sum);
        }
        __syncthreads();
    }
}

extern "C" __global__ void softmax_f32_k(i64 rows, i64 cols, int logMode, const float* x, float* out) {
    softmax_rows<float>(rows, cols, logMode, x, out);
}

extern "C" __global__ void softmax_f64_k(i64 rows, i64 cols, int logMode, const double* x, double* out) {
    softmax_rows<double>(rows, cols, logMode, x, out);
}
