// RoPE in place: pair (a, b) of head h at position p rotates by theta = freq_scale * (p * theta_scale^i / ff_i),
// theta_scale = base^(-2/d), ff_i = 1 without Llama 3 freq factors; pairs (2i, 2i+1) (ggml "norm") or (i, i + d/2) (ggml "neox");
// ggml-cuda rope.cu (rope_yarn with freq_factors: theta_extrap = theta_base / ff, theta = freq_scale * theta_extrap).
#include "common.cuh"

// grid.y = row of the step (at that row's position); thread x over heads * head_dim/2 pairs.
// freq_factors: F32 [head_dim / 2] or null.
extern "C" __global__ void rope_f32(float* __restrict__ x, const int* __restrict__ step, const float* __restrict__ freq_factors,
                                    int heads, int head_dim, int row_stride, float theta_scale, float freq_scale, int half_split) {
    const int half = head_dim / 2;
    const int p = blockIdx.x * blockDim.x + threadIdx.x;
    if (p >= heads * half) return;
    const int row = blockIdx.y;
    const int pos = step_pos(step, row);
    const int h = p / half, i = p % half;
    float* xh = x + (long long)row * row_stride + (long long)h * head_dim;
    const int a = half_split ? i : 2 * i;
    const int b = half_split ? i + half : 2 * i + 1;
    float theta_base = (float)pos * powf(theta_scale, (float)i);
    if (freq_factors != nullptr) theta_base = theta_base / freq_factors[i];
    const float theta = freq_scale * theta_base;
    const float c = cosf(theta), s = sinf(theta);
    const float x0 = xh[a], x1 = xh[b];
    xh[a] = x0 * c - x1 * s;
    xh[b] = x0 * s + x1 * c;
}
