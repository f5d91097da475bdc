// Quantised blocks -> F16: out[i] = (half) dequant(blocks)[i], fp32 math exactly as ggml-quants.c dequantize_row_*
// (see quant_blocks.cuh), rounded to nearest-even f16. Used to feed cuBLAS GEMMs during prefill.
//
// Launch rule (every kernel here): block = 256 threads, grid.x = ceil(n_elements / 256), no shared memory.
// Thread t of block b writes element e = b * 256 + t if e < n_elements. n_elements must be a multiple of the type's
// block size (32 for q4_0..q8_0, 256 for the K-quants); it need not be a multiple of 256.
// `blocks` needs only the structs' 2-byte alignment; `out` is [n_elements] f16.
#include "quant_blocks.cuh"

#define DEQUANT_THREADS 256

template <typename block, int QK>
static __device__ __forceinline__ void dequantize_f16(const void* blocks, __half* out, long long n) {
    const long long e = (long long)blockIdx.x * DEQUANT_THREADS + threadIdx.x;
    if (e >= n) return;
    const block* b = (const block*)blocks + e / QK;
    out[e] = __float2half_rn(dq_elem(b, (int)(e % QK)));
}

#define DEQUANT_KERNEL(t, block, QK)                                                                              \
    extern "C" __global__ void __launch_bounds__(DEQUANT_THREADS)                                                  \
        dequantize_##t##_f16(const void* blocks, __half* out, long long n_elements) {                              \
        dequantize_f16<block, QK>(blocks, out, n_elements);                                                        \
    }

DEQUANT_KERNEL(q4_0, block_q4_0, QK4_0)
DEQUANT_KERNEL(q4_1, block_q4_1, QK4_1)
DEQUANT_KERNEL(q5_0, block_q5_0, QK5_0)
DEQUANT_KERNEL(q5_1, block_q5_1, QK5_1)
DEQUANT_KERNEL(q8_0, block_q8_0, QK8_0)
DEQUANT_KERNEL(q2_k, block_q2_K, QK_K)
DEQUANT_KERNEL(q3_k, block_q3_K, QK_K)
DEQUANT_KERNEL(q4_k, block_q4_K, QK_K)
DEQUANT_KERNEL(q5_k, block_q5_K, QK_K)
DEQUANT_KERNEL(q6_k, block_q6_K, QK_K)
