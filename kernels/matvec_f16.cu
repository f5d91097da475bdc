// y[j, r] = sum_k W[r, k] * x[j, k] for W in F16, BF16 or F32 and x, y in F32, one activation row j (matvec_*) or up to 8
// (matvec8_*, each weight chunk loaded once for all of them); FP32 accumulation, 16-byte weight loads.
#include "common.cuh"

// The activation is rounded to the weight's type first (F16 or BF16), as ggml's CPU backend and our CPU backend do
// (vec_dot_type of F16/BF16), so the GPU and CPU compute the same products; the sums are FP32.
static __device__ __forceinline__ float round_act(float v, __half) { return __half2float(__float2half_rn(v)); }
static __device__ __forceinline__ float round_act(float v, __nv_bfloat16) { return __bfloat162float(__float2bfloat16_rn(v)); }

// One warp per output row (blockDim = (32, MATVEC_ROWS_PER_BLOCK)); lanes stride over 16-byte chunks of the row.
// The vector path needs ncols to be a multiple of the chunk (so every row starts 16-byte aligned); else scalar loads.
static __device__ __forceinline__ float dot8(uint4 w, const float* x, __half) {
    const __half2* h = reinterpret_cast<const __half2*>(&w);
    float4 x0 = *reinterpret_cast<const float4*>(x), x1 = *reinterpret_cast<const float4*>(x + 4);
    x0 = make_float4(round_act(x0.x, __half()), round_act(x0.y, __half()), round_act(x0.z, __half()), round_act(x0.w, __half()));
    x1 = make_float4(round_act(x1.x, __half()), round_act(x1.y, __half()), round_act(x1.z, __half()), round_act(x1.w, __half()));
    float2 a = __half22float2(h[0]), b = __half22float2(h[1]), c = __half22float2(h[2]), d = __half22float2(h[3]);
    return a.x * x0.x + a.y * x0.y + b.x * x0.z + b.y * x0.w + c.x * x1.x + c.y * x1.y + d.x * x1.z + d.y * x1.w;
}

static __device__ __forceinline__ float dot8(uint4 w, const float* x, __nv_bfloat16) {
    const __nv_bfloat162* h = reinterpret_cast<const __nv_bfloat162*>(&w);
    float4 x0 = *reinterpret_cast<const float4*>(x), x1 = *reinterpret_cast<const float4*>(x + 4);
    const __nv_bfloat16 t{};
    x0 = make_float4(round_act(x0.x, t), round_act(x0.y, t), round_act(x0.z, t), round_act(x0.w, t));
    x1 = make_float4(round_act(x1.x, t), round_act(x1.y, t), round_act(x1.z, t), round_act(x1.w, t));
    float2 a = __bfloat1622float2(h[0]), b = __bfloat1622float2(h[1]), c = __bfloat1622float2(h[2]), d = __bfloat1622float2(h[3]);
    return a.x * x0.x + a.y * x0.y + b.x * x0.z + b.y * x0.w + c.x * x1.x + c.y * x1.y + d.x * x1.z + d.y * x1.w;
}

static __device__ __forceinline__ float to_float(__half v) { return __half2float(v); }
static __device__ __forceinline__ float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }

#define MATVEC_MAX_X 8

// x: [nx, ncols], y: [nx, nrows]; NX = 1 (nx ignored) or MATVEC_MAX_X (1 <= nx <= NX).
template <typename T, int NX>
static __device__ __forceinline__ void matvec_16bit(const T* __restrict__ W, const float* __restrict__ x, float* __restrict__ y,
                                                    int ncols, int nrows, int nx) {
    const int row = blockIdx.x * blockDim.y + threadIdx.y;
    if (row >= nrows) return;
    const T* w = W + (long long)row * ncols;
    float sum[NX];
#pragma unroll
    for (int j = 0; j < NX; j++) sum[j] = 0.0f;
    if (ncols % 8 == 0) {
        const uint4* w4 = reinterpret_cast<const uint4*>(w);
        for (int c = threadIdx.x; c < ncols / 8; c += WARP_SIZE) {
            const uint4 wc = w4[c];
#pragma unroll
            for (int j = 0; j < NX; j++) {
                if (NX > 1 && j >= nx) break;
                sum[j] += dot8(wc, x + (long long)j * ncols + 8 * c, T());
            }
        }
    } else {
        for (int c = threadIdx.x; c < ncols; c += WARP_SIZE) {
            const float wc = to_float(w[c]);
#pragma unroll
            for (int j = 0; j < NX; j++) {
                if (NX > 1 && j >= nx) break;
                sum[j] += wc * round_act(x[(long long)j * ncols + c], T());
            }
        }
    }
#pragma unroll
    for (int j = 0; j < NX; j++) {
        const float s = warp_reduce_sum(sum[j]);
        if (threadIdx.x == 0 && (NX == 1 || j < nx)) y[(long long)j * nrows + row] = s;
    }
}

template <int NX>
static __device__ __forceinline__ void matvec_f32(const float* __restrict__ W, const float* __restrict__ x, float* __restrict__ y,
                                                  int ncols, int nrows, int nx) {
    const int row = blockIdx.x * blockDim.y + threadIdx.y;
    if (row >= nrows) return;
    const float* w = W + (long long)row * ncols;
    float sum[NX];
#pragma unroll
    for (int j = 0; j < NX; j++) sum[j] = 0.0f;
    if (ncols % 4 == 0) {
        const float4* w4 = reinterpret_cast<const float4*>(w);
        for (int c = threadIdx.x; c < ncols / 4; c += WARP_SIZE) {
            const float4 a = w4[c];
#pragma unroll
            for (int j = 0; j < NX; j++) {
                if (NX > 1 && j >= nx) break;
                const float4 b = reinterpret_cast<const float4*>(x + (long long)j * ncols)[c];
                sum[j] += a.x * b.x + a.y * b.y + a.z * b.z + a.w * b.w;
            }
        }
    } else {
        for (int c = threadIdx.x; c < ncols; c += WARP_SIZE) {
            const float wc = w[c];
#pragma unroll
            for (int j = 0; j < NX; j++) {
                if (NX > 1 && j >= nx) break;
                sum[j] += wc * x[(long long)j * ncols + c];
            }
        }
    }
#pragma unroll
    for (int j = 0; j < NX; j++) {
        const float s = warp_reduce_sum(sum[j]);
        if (threadIdx.x == 0 && (NX == 1 || j < nx)) y[(long long)j * nrows + row] = s;
    }
}

extern "C" __global__ void matvec_f16_f32(const __half* __restrict__ W, const float* __restrict__ x, float* __restrict__ y,
                                          int ncols, int nrows) {
    matvec_16bit<__half, 1>(W, x, y, ncols, nrows, 1);
}

extern "C" __global__ void matvec_bf16_f32(const __nv_bfloat16* __restrict__ W, const float* __restrict__ x, float* __restrict__ y,
                                           int ncols, int nrows) {
    matvec_16bit<__nv_bfloat16, 1>(W, x, y, ncols, nrows, 1);
}

extern "C" __global__ void matvec_f32_f32(const float* __restrict__ W, const float* __restrict__ x, float* __restrict__ y,
                                          int ncols, int nrows) {
    matvec_f32<1>(W, x, y, ncols, nrows, 1);
}

extern "C" __global__ void matvec8_f16_f32(const __half* __restrict__ W, const float* __restrict__ x, float* __restrict__ y,
                                           int ncols, int nrows, int nx) {
    matvec_16bit<__half, MATVEC_MAX_X>(W, x, y, ncols, nrows, nx);
}

extern "C" __global__ void matvec8_bf16_f32(const __nv_bfloat16* __restrict__ W, const float* __restrict__ x, float* __restrict__ y,
                                            int ncols, int nrows, int nx) {
    matvec_16bit<__nv_bfloat16, MATVEC_MAX_X>(W, x, y, ncols, nrows, nx);
}

extern "C" __global__ void matvec8_f32_f32(const float* __restrict__ W, const float* __restrict__ x, float* __restrict__ y,
                                           int ncols, int nrows, int nx) {
    matvec_f32<MATVEC_MAX_X>(W, x, y, ncols, nrows, nx);
}
