// Shared device helpers: warp/block reductions and half/bfloat16 conversions (pattern of ggml-cuda/common.cuh).
#pragma once
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <stdint.h>

#define WARP_SIZE 32

static __device__ __forceinline__ float warp_reduce_sum(float x) {
#pragma unroll
    for (int offset = WARP_SIZE / 2; offset > 0; offset >>= 1) x += __shfl_xor_sync(0xffffffff, x, offset);
    return x;
}

static __device__ __forceinline__ float warp_reduce_max(float x) {
#pragma unroll
    for (int offset = WARP_SIZE / 2; offset > 0; offset >>= 1) x = fmaxf(x, __shfl_xor_sync(0xffffffff, x, offset));
    return x;
}

// Sum over a block of up to 1024 threads; every thread gets the result. `scratch` holds 32 floats.
static __device__ __forceinline__ float block_reduce_sum(float x, float* scratch) {
    const int lane = threadIdx.x % WARP_SIZE, warp = threadIdx.x / WARP_SIZE;
    x = warp_reduce_sum(x);
    __syncthreads();
    if (lane == 0) scratch[warp] = x;
    __syncthreads();
    x = lane < (blockDim.x + WARP_SIZE - 1) / WARP_SIZE ? scratch[lane] : 0.0f;
    return warp_reduce_sum(x);
}

static __device__ __forceinline__ float block_reduce_max(float x, float* scratch) {
    const int lane = threadIdx.x % WARP_SIZE, warp = threadIdx.x / WARP_SIZE;
    x = warp_reduce_max(x);
    __syncthreads();
    if (lane == 0) scratch[warp] = x;
    __syncthreads();
    x = lane < (blockDim.x + WARP_SIZE - 1) / WARP_SIZE ? scratch[lane] : -INFINITY;
    return warp_reduce_max(x);
}

// The step buffer, written by the host before each (graph) launch: int [STEP_ROWS + STEP_ROW_INTS * rows] =
// [row count, then token, position, sequence (KV slot) of each row] (StepLayout.cs).
#define STEP_ROW_COUNT 0
#define STEP_ROWS 1
#define STEP_ROW_INTS 3

static __device__ __forceinline__ int step_token(const int* step, int row) { return step[STEP_ROWS + STEP_ROW_INTS * row]; }
static __device__ __forceinline__ int step_pos(const int* step, int row) { return step[STEP_ROWS + STEP_ROW_INTS * row + 1]; }
static __device__ __forceinline__ int step_seq(const int* step, int row) { return step[STEP_ROWS + STEP_ROW_INTS * row + 2]; }
