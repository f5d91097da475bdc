// y[r] = (x[r] * rsqrt(mean(x[r]^2) + eps)) * w, FP32 throughout (ggml-cuda norm.cu rms_norm_f32 then mul).
#include "common.cuh"

// One block per row; threads stride over the columns.
extern "C" __global__ void rms_norm_f32(const float* __restrict__ x, const float* __restrict__ w, float* __restrict__ y,
                                        int ncols, float eps) {
    __shared__ float scratch[32];
    const long long row = blockIdx.x;
    const float* xr = x + row * ncols;
    float* yr = y + row * ncols;
    float sum = 0.0f;
    for (int c = threadIdx.x; c < ncols; c += blockDim.x) sum += xr[c] * xr[c];
    sum = block_reduce_sum(sum, scratch);
    const float scale = rsqrtf(sum / ncols + eps);
    for (int c = threadIdx.x; c < ncols; c += blockDim.x) yr[c] = (scale * xr[c]) * w[c];
}
