// Embedding lookup: out[r, c] = dequant(table)[token of step row r, c] in fp32 (quant math as ggml-quants.c).
//
// Launch rule (every kernel here): block = 256 threads, grid = (ceil(ncols / 256), n_rows), no shared memory.
// Block (bx, r) thread t writes out[r * ncols + bx * 256 + t] when that column is < ncols and r < the step's row count
// (so a graph captured with grid.y = the largest token count stays valid for smaller steps).
// table: [n_vocab, ncols] rows of f32 / f16 / bf16 / quant blocks (ncols a multiple of the block size);
// step: the step buffer (common.cuh STEP_*); out: [n_rows, ncols] f32.
#include "quant_blocks.cuh"

#define GET_ROWS_THREADS 256

template <typename T>
static __device__ __forceinline__ float gr_elem(const T* row, int c);
template <> __device__ __forceinline__ float gr_elem<float>(const float* row, int c) { return row[c]; }
template <> __device__ __forceinline__ float gr_elem<__half>(const __half* row, int c) { return __half2float(row[c]); }
template <> __device__ __forceinline__ float gr_elem<__nv_bfloat16>(const __nv_bfloat16* row, int c) {
    return __bfloat162float(row[c]);
}

// Plain element types: QK = 1, the "block" is the element.
template <typename T, int QK>
static __device__ __forceinline__ void get_rows(const void* table, const int* step, float* out, int ncols) {
    const int r = blockIdx.y;
    const int c = blockIdx.x * GET_ROWS_THREADS + threadIdx.x;
    if (r >= step[STEP_ROW_COUNT] || c >= ncols) return;
    const long long token = step_token(step, r);
    const T* row = (const T*)table + token * (ncols / QK);
    float v;
    if constexpr (QK == 1) v = gr_elem<T>(row, c);
    else v = dq_elem(row + c / QK, c % QK);
    out[(long long)r * ncols + c] = v;
}

#define GET_ROWS_KERNEL(t, T, QK)                                                                                  \
    extern "C" __global__ void __launch_bounds__(GET_ROWS_THREADS)                                                 \
        get_rows_##t##_f32(const void* table, const int* step, float* out, int ncols) {                            \
        get_rows<T, QK>(table, step, out, ncols);                                                                  \
    }

GET_ROWS_KERNEL(f32, float, 1)
GET_ROWS_KERNEL(f16, __half, 1)
GET_ROWS_KERNEL(bf16, __nv_bfloat16, 1)
GET_ROWS_KERNEL(q4_0, block_q4_0, QK4_0)
GET_ROWS_KERNEL(q4_1, block_q4_1, QK4_1)
GET_ROWS_KERNEL(q5_0, block_q5_0, QK5_0)
GET_ROWS_KERNEL(q5_1, block_q5_1, QK5_1)
GET_ROWS_KERNEL(q8_0, block_q8_0, QK8_0)
GET_ROWS_KERNEL(q2_k, block_q2_K, QK_K)
GET_ROWS_KERNEL(q3_k, block_q3_K, QK_K)
GET_ROWS_KERNEL(q4_k, block_q4_K, QK_K)
GET_ROWS_KERNEL(q5_k, block_q5_K, QK_K)
GET_ROWS_KERNEL(q6_k, block_q6_K, QK_K)
