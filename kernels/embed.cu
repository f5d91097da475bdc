// out[r] = table[step token r] for F32, F16 and BF16 tables (ggml get_rows); quantized tables are in the quant kernels.
#include "common.cuh"

// grid.y = row of the step; thread x over columns.
#define GET_ROWS(NAME, T, LOAD)                                                                                   \
extern "C" __global__ void NAME(const T* __restrict__ table, const int* __restrict__ step, float* __restrict__ out,   \
                                int ncols) {                                                                       \
    const int c = blockIdx.x * blockDim.x + threadIdx.x;                                                           \
    if (c >= ncols) return;                                                                                        \
    const long long token = step[STEP_TOKENS + blockIdx.y];                                                        \
    out[(long long)blockIdx.y * ncols + c] = LOAD(table[token * ncols + c]);                                       \
}

static __device__ __forceinline__ float load_f32(float v) { return v; }
GET_ROWS(get_rows_f32_f32, float, load_f32)
GET_ROWS(get_rows_f16_f32, __half, __half2float)
GET_ROWS(get_rows_bf16_f32, __nv_bfloat16, __bfloat162float)
