// Element-wise ops: out = silu(gate) * up with silu(g) = g / (1 + exp(-g)) (ggml), x += y, x[r] += bias, and the F32 -> F16 KV store.
#include "common.cuh"

extern "C" __global__ void silu_mul_f32(const float* __restrict__ gate, const float* __restrict__ up, float* __restrict__ out,
                                        long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        const float g = gate[i];
        out[i] = (g / (1.0f + expf(-g))) * up[i];
    }
}

extern "C" __global__ void add_f32(float* __restrict__ x, const float* __restrict__ y, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        x[i] += y[i];
}

// x: [rows, cols] F32, bias: [cols] F32 (vectors are F32 on the device); element i of x adds bias[i % cols] (ggml_add broadcast).
extern "C" __global__ void add_bias_f32(float* __restrict__ x, const float* __restrict__ bias, int cols, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        x[i] += bias[i % cols];
}

// k, v: [rows, kv_dim] F32; caches of one layer: [sequences, ctx, kv_dim] F16. Row r goes to slot (sequence, position) of
// step row r. grid.y = row; thread x over kv_dim. Positions past the context are dropped (the host checks them first).
extern "C" __global__ void store_kv_f16(const float* __restrict__ k, const float* __restrict__ v, __half* __restrict__ k_cache,
                                        __half* __restrict__ v_cache, const int* __restrict__ step, int kv_dim, int ctx) {
    const int c = blockIdx.x * blockDim.x + threadIdx.x;
    const int row = blockIdx.y;
    const int pos = step_pos(step, row);
    if (c >= kv_dim || pos >= ctx) return;
    const long long src = (long long)row * kv_dim + c, dst = ((long long)step_seq(step, row) * ctx + pos) * kv_dim + c;
    k_cache[dst] = __float2half_rn(k[src]);
    v_cache[dst] = __float2half_rn(v[src]);
}
