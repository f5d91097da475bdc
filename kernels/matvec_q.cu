// Quantised matrix-vector products y[j, r] = sum_k dequant(W)[r, k] * x[j, k] for one activation row j (matvec_*) or up to
// 8 (matvec8_*), dequantisation fused into the dot, fp32 accumulation (FMA allowed: sums are not bit-exact to a
// sequential CPU loop). Work split as ggml-cuda mmvq (each thread a fixed slice of one quant block; matvec8 reads each
// weight slice for all its rows, as mmvq with ncols_y > 1), but x stays fp32 (no q8_1 / dp4a path) and each CUDA block
// computes MATVEC_ROWS = 4 rows so that every x slice loaded serves 4 rows.
//
// Launch rule (every kernel here): block = 128 threads (4 warps), grid.x = ceil(nrows / 4), no dynamic shared memory
// (16 floats per activation row static for the cross-warp sums). Block b computes y[j, 4b .. 4b+3] for every activation
// row j (rows >= nrows are not written); thread t walks slices i = t, t + 128, ... of each row's nb * SLICES slices
// (slice i = part i % SLICES of quant block i / SLICES): SLICES = 2 for q4_0/q4_1/q5_0/q5_1 (16 values each), 4 for
// q8_0 (8 values), 16 for the K-quants (16 values).
// W: [nrows, ncols] quant blocks, row-major, 16-byte aligned base (cuMemAlloc); ncols a multiple of the block size.
// x: [nx, ncols] f32, 16-byte aligned (read as float4 through the read-only cache); y: [nx, nrows] f32; nx = 1 for matvec_*.
#include "quant_blocks.cuh"

#define MATVEC_THREADS 128
#ifndef MATVEC_ROWS
#define MATVEC_ROWS 4
#endif
#define MATVEC_MAX_X 8

static __device__ __forceinline__ float4 ldx4(const float* x) { return __ldg((const float4*)x); }

// sum_i ((w >> (8i + shift)) & mask) * x[i] for the 4 bytes of w and 4 consecutive x values.
static __device__ __forceinline__ float dot4(uint32_t w, int shift, uint32_t mask, float4 x) {
    float s = (float)((w >> shift) & mask) * x.x;
    s = fmaf((float)((w >> (8 + shift)) & mask), x.y, s);
    s = fmaf((float)((w >> (16 + shift)) & mask), x.z, s);
    return fmaf((float)((w >> (24 + shift)) & mask), x.w, s);
}

static __device__ __forceinline__ float sum4(float4 x) { return (x.x + x.y) + (x.z + x.w); }

// 4 bits of `bits` starting at bit `pos`, spread to bit 4 of each byte (the fifth quant bit of 4 consecutive values).
static __device__ __forceinline__ uint32_t spread4(uint32_t bits, int pos) {
    const uint32_t b = bits >> pos;
    return ((b & 1u) << 4) | ((b & 2u) << 11) | ((b & 4u) << 18) | ((b & 8u) << 25);
}

// x slices (float4s) of one quant-block slice, loaded once and shared by the MATVEC_ROWS rows of a CUDA block.
static __device__ __forceinline__ void x32_load(int h, const float* x, float4* xv) {
    xv[0] = ldx4(x + 8 * h);
    xv[1] = ldx4(x + 8 * h + 4);
    xv[2] = ldx4(x + 16 + 8 * h);
    xv[3] = ldx4(x + 20 + 8 * h);
}
static __device__ __forceinline__ void xk23_load(int t, const float* x, float4* xv) {
    const int n = t >> 3, c = t & 7, h = c >> 2, l0 = 4 * (c & 3);
#pragma unroll
    for (int g = 0; g < 4; ++g) xv[g] = ldx4(x + 128 * n + 32 * g + 16 * h + l0);
}
static __device__ __forceinline__ void xk45_load(int t, const float* x, float4* xv) {
    const int g = t >> 2, sub = t & 3;
    xv[0] = ldx4(x + 64 * g + 8 * sub);
    xv[1] = ldx4(x + 64 * g + 8 * sub + 4);
    xv[2] = ldx4(x + 64 * g + 32 + 8 * sub);
    xv[3] = ldx4(x + 64 * g + 36 + 8 * sub);
}

// --- 32-value blocks: slice h in {0,1} covers values 8h..8h+7 (low nibbles) and 16+8h..16+8h+7 (high nibbles).
struct mv_q4_0 {
    typedef block_q4_0 block;
    static constexpr int QK = QK4_0, SLICES = 2;
    static __device__ __forceinline__ void load_x(int h, const float* x, float4* xv) { x32_load(h, x, xv); }
    static __device__ __forceinline__ float dot(const block* b, int h, const float4* xv) {
        const uint32_t w0 = ld_u32_a2(b->qs + 8 * h), w1 = ld_u32_a2(b->qs + 8 * h + 4);
        const float4 a0 = xv[0], a1 = xv[1], b0 = xv[2], b1 = xv[3];
        const float q = dot4(w0, 0, 0xF, a0) + dot4(w1, 0, 0xF, a1) + dot4(w0, 4, 0xF, b0) + dot4(w1, 4, 0xF, b1);
        const float sx = sum4(a0) + sum4(a1) + sum4(b0) + sum4(b1);
        return __half2float(b->d) * (q - 8.0f * sx);
    }
};

struct mv_q4_1 {
    typedef block_q4_1 block;
    static constexpr int QK = QK4_1, SLICES = 2;
    static __device__ __forceinline__ void load_x(int h, const float* x, float4* xv) { x32_load(h, x, xv); }
    static __device__ __forceinline__ float dot(const block* b, int h, const float4* xv) {
        const uint32_t w0 = ld_u32_a4(b->qs + 8 * h), w1 = ld_u32_a4(b->qs + 8 * h + 4);
        const float4 a0 = xv[0], a1 = xv[1], b0 = xv[2], b1 = xv[3];
        const float q = dot4(w0, 0, 0xF, a0) + dot4(w1, 0, 0xF, a1) + dot4(w0, 4, 0xF, b0) + dot4(w1, 4, 0xF, b1);
        const float sx = sum4(a0) + sum4(a1) + sum4(b0) + sum4(b1);
        return fmaf(__half2float(b->d), q, __half2float(b->m) * sx);
    }
};

template <bool A4>
static __device__ __forceinline__ float q5_dot(const uint8_t* qs, uint32_t qh, int h, const float4* xv, float* sx) {
    const uint32_t w0 = A4 ? ld_u32_a4(qs + 8 * h) : ld_u32_a2(qs + 8 * h);
    const uint32_t w1 = A4 ? ld_u32_a4(qs + 8 * h + 4) : ld_u32_a2(qs + 8 * h + 4);
    const float4 a0 = xv[0], a1 = xv[1], b0 = xv[2], b1 = xv[3];
    *sx = sum4(a0) + sum4(a1) + sum4(b0) + sum4(b1);
    return dot4((w0 & 0x0F0F0F0Fu) | spread4(qh, 8 * h), 0, 0x1F, a0) +
           dot4((w1 & 0x0F0F0F0Fu) | spread4(qh, 8 * h + 4), 0, 0x1F, a1) +
           dot4(((w0 >> 4) & 0x0F0F0F0Fu) | spread4(qh, 16 + 8 * h), 0, 0x1F, b0) +
           dot4(((w1 >> 4) & 0x0F0F0F0Fu) | spread4(qh, 20 + 8 * h), 0, 0x1F, b1);
}

struct mv_q5_0 {
    typedef block_q5_0 block;
    static constexpr int QK = QK5_0, SLICES = 2;
    static __device__ __forceinline__ void load_x(int h, const float* x, float4* xv) { x32_load(h, x, xv); }
    static __device__ __forceinline__ float dot(const block* b, int h, const float4* xv) {
        float sx;
        const float q = q5_dot<false>(b->qs, ld_u32_a2(b->qh), h, xv, &sx);
        return __half2float(b->d) * (q - 16.0f * sx);
    }
};

struct mv_q5_1 {
    typedef block_q5_1 block;
    static constexpr int QK = QK5_1, SLICES = 2;
    static __device__ __forceinline__ void load_x(int h, const float* x, float4* xv) { x32_load(h, x, xv); }
    static __device__ __forceinline__ float dot(const block* b, int h, const float4* xv) {
        float sx;
        const float q = q5_dot<true>(b->qs, ld_u32_a4(b->qh), h, xv, &sx);
        return fmaf(__half2float(b->d), q, __half2float(b->m) * sx);
    }
};

// sum_i (int8)byte_i(w) * x[i]
static __device__ __forceinline__ float dot4_i8(uint32_t w, float4 x) {
    float s = (float)(int8_t)(w & 0xFF) * x.x;
    s = fmaf((float)(int8_t)((w >> 8) & 0xFF), x.y, s);
    s = fmaf((float)(int8_t)((w >> 16) & 0xFF), x.z, s);
    return fmaf((float)(int8_t)(w >> 24), x.w, s);
}

struct mv_q8_0 {
    typedef block_q8_0 block;
    static constexpr int QK = QK8_0, SLICES = 4;
    static __device__ __forceinline__ void load_x(int p, const float* x, float4* xv) {
        xv[0] = ldx4(x + 8 * p);
        xv[1] = ldx4(x + 8 * p + 4);
    }
    static __device__ __forceinline__ float dot(const block* b, int p, const float4* xv) {
        const uint8_t* q = (const uint8_t*)b->qs + 8 * p;
        const float s = dot4_i8(ld_u32_a2(q), xv[0]) + dot4_i8(ld_u32_a2(q + 4), xv[1]);
        return __half2float(b->d) * s;
    }
};

// --- K-quants, 16 slices of 16 values.
// Q2_K / Q3_K slice t: half n = t/8, c = t%8 reads quant bytes qs[32n + 4c .. +3]; byte i at shift 2g is the value at
// 128n + 32g + 16h + l0 + i with h = c/4, l0 = 4(c%4), scale index 8n + 2g + h.
struct mv_q2_K {
    typedef block_q2_K block;
    static constexpr int QK = QK_K, SLICES = 16;
    static __device__ __forceinline__ void load_x(int t, const float* x, float4* xv) { xk23_load(t, x, xv); }
    static __device__ __forceinline__ float dot(const block* b, int t, const float4* xv) {
        const int n = t >> 3, c = t & 7, h = c >> 2;
        const uint32_t w = ld_u32_a4(b->qs + 32 * n + 4 * c);
        const float d = __half2float(b->d), dmin = __half2float(b->dmin);
        float s = 0.0f;
#pragma unroll
        for (int g = 0; g < 4; ++g) {
            const int sc = b->scales[8 * n + 2 * g + h];
            s += d * (float)(sc & 0xF) * dot4(w, 2 * g, 3, xv[g]) - dmin * (float)(sc >> 4) * sum4(xv[g]);
        }
        return s;
    }
};

struct mv_q3_K {
    typedef block_q3_K block;
    static constexpr int QK = QK_K, SLICES = 16;
    static __device__ __forceinline__ void load_x(int t, const float* x, float4* xv) { xk23_load(t, x, xv); }
    static __device__ __forceinline__ float dot(const block* b, int t, const float4* xv) {
        const int n = t >> 3, c = t & 7, h = c >> 2, l0 = 4 * (c & 3);
        const uint32_t w = ld_u32_a2(b->qs + 32 * n + 4 * c);
        const uint32_t hm = ld_u32_a2(b->hmask + 16 * h + l0);
        const float d = __half2float(b->d);
        float s = 0.0f;
#pragma unroll
        for (int g = 0; g < 4; ++g) {
            // value = low2 - 4 * (1 - hbit) = (low2 | hbit << 2) - 4
            const int bit = 4 * n + g;
            const uint32_t hb = ((hm >> bit) & 0x01010101u) << 2;
            const uint32_t q = ((w >> (2 * g)) & 0x03030303u) | hb;
            s += d * (float)q3k_scale(b->scales, 8 * n + 2 * g + h) * (dot4(q, 0, 7, xv[g]) - 4.0f * sum4(xv[g]));
        }
        return s;
    }
};

// Q4_K / Q5_K slice t: 64-group g = t/4, sub = t%4 reads qs[32g + 8sub .. +7]: low nibbles are values 64g + 8sub + i
// (scale 2g), high nibbles 64g + 32 + 8sub + i (scale 2g + 1); Q5_K's fifth bits come from qh[8sub + i].
template <bool Q5>
static __device__ __forceinline__ float k45_dot(const uint8_t* scales, const uint8_t* qs, const uint8_t* qh, __half dh,
                                                __half mh, int t, const float4* xv) {
    const int g = t >> 2, sub = t & 3;
    const uint2 w = *(const uint2*)(qs + 32 * g + 8 * sub);
    const float4 a0 = xv[0], a1 = xv[1], b0 = xv[2], b1 = xv[3];
    uint32_t lo0 = w.x & 0x0F0F0F0Fu, lo1 = w.y & 0x0F0F0F0Fu;
    uint32_t hi0 = (w.x >> 4) & 0x0F0F0F0Fu, hi1 = (w.y >> 4) & 0x0F0F0F0Fu;
    if (Q5) {
        const uint2 h = *(const uint2*)(qh + 8 * sub);
        lo0 |= ((h.x >> (2 * g)) & 0x01010101u) << 4;
        lo1 |= ((h.y >> (2 * g)) & 0x01010101u) << 4;
        hi0 |= ((h.x >> (2 * g + 1)) & 0x01010101u) << 4;
        hi1 |= ((h.y >> (2 * g + 1)) & 0x01010101u) << 4;
    }
    int sc1, m1, sc2, m2;
    k4_scale_min(scales, 2 * g, &sc1, &m1);
    k4_scale_min(scales, 2 * g + 1, &sc2, &m2);
    const float d = __half2float(dh), dmin = __half2float(mh);
    const float qa = dot4(lo0, 0, 0x1F, a0) + dot4(lo1, 0, 0x1F, a1);
    const float qb = dot4(hi0, 0, 0x1F, b0) + dot4(hi1, 0, 0x1F, b1);
    return d * ((float)sc1 * qa + (float)sc2 * qb) -
           dmin * ((float)m1 * (sum4(a0) + sum4(a1)) + (float)m2 * (sum4(b0) + sum4(b1)));
}

struct mv_q4_K {
    typedef block_q4_K block;
    static constexpr int QK = QK_K, SLICES = 16;
    static __device__ __forceinline__ void load_x(int t, const float* x, float4* xv) { xk45_load(t, x, xv); }
    static __device__ __forceinline__ float dot(const block* b, int t, const float4* xv) {
        return k45_dot<false>(b->scales, b->qs, nullptr, b->d, b->dmin, t, xv);
    }
};

struct mv_q5_K {
    typedef block_q5_K block;
    static constexpr int QK = QK_K, SLICES = 16;
    static __device__ __forceinline__ void load_x(int t, const float* x, float4* xv) { xk45_load(t, x, xv); }
    static __device__ __forceinline__ float dot(const block* b, int t, const float4* xv) {
        return k45_dot<true>(b->scales, b->qs, b->qh, b->d, b->dmin, t, xv);
    }
};

// Q6_K slice t: half n = t/8, r = t%8 covers l = 4r..4r+3 of the four quarters k: value 128n + 32k + l from
// ql[64n + 32(k&1) + l] (nibble k/2), qh[32n + l] bits 2k..2k+1, scale scales[8n + r/4 + 2k].
struct mv_q6_K {
    typedef block_q6_K block;
    static constexpr int QK = QK_K, SLICES = 16;
    static __device__ __forceinline__ void load_x(int t, const float* x, float4* xv) {
        const int n = t >> 3, r = t & 7;
#pragma unroll
        for (int k = 0; k < 4; ++k) xv[k] = ldx4(x + 128 * n + 32 * k + 4 * r);
    }
    static __device__ __forceinline__ float dot(const block* b, int t, const float4* xv) {
        const int n = t >> 3, r = t & 7;
        const uint32_t qlA = ld_u32_a2(b->ql + 64 * n + 4 * r), qlB = ld_u32_a2(b->ql + 64 * n + 32 + 4 * r);
        const uint32_t qh = ld_u32_a2(b->qh + 32 * n + 4 * r);
        const int8_t* sc = b->scales + 8 * n + (r >> 2);
        float s = 0.0f;
#pragma unroll
        for (int k = 0; k < 4; ++k) {
            const uint32_t lo = (((k & 1) ? qlB : qlA) >> (4 * (k >> 1))) & 0x0F0F0F0Fu;
            const uint32_t q = lo | (((qh >> (2 * k)) & 0x03030303u) << 4);
            s += (float)sc[2 * k] * (dot4(q, 0, 0x3F, xv[k]) - 32.0f * sum4(xv[k]));
        }
        return __half2float(b->d) * s;
    }
};

// NX = 1: one activation row (nx ignored); NX = MATVEC_MAX_X: nx rows, 1 <= nx <= NX.
template <typename T, int NX>
static __device__ __forceinline__ void matvec(const void* __restrict__ W, const float* __restrict__ x,
                                              float* __restrict__ y, int ncols, int nrows, int nx) {
    __shared__ float partial[MATVEC_THREADS / WARP_SIZE][NX][MATVEC_ROWS];
    const int row0 = blockIdx.x * MATVEC_ROWS;
    const int nb = ncols / T::QK;
    const typename T::block* w = (const typename T::block*)W;
    long long roff[MATVEC_ROWS];  // rows past nrows re-read the last row (unconditional loads let x loads be shared)
#pragma unroll
    for (int r = 0; r < MATVEC_ROWS; ++r) roff[r] = (long long)min(row0 + r, nrows - 1) * nb;
    float sum[NX][MATVEC_ROWS];
#pragma unroll
    for (int j = 0; j < NX; ++j)
#pragma unroll
        for (int r = 0; r < MATVEC_ROWS; ++r) sum[j][r] = 0.0f;
    for (int i = threadIdx.x; i < nb * T::SLICES; i += MATVEC_THREADS) {
        const int ib = i / T::SLICES;
#pragma unroll
        for (int j = 0; j < NX; ++j) {
            if (NX > 1 && j >= nx) break;
            float4 xv[4];
            T::load_x(i % T::SLICES, x + (long long)j * ncols + ib * T::QK, xv);
#pragma unroll
            for (int r = 0; r < MATVEC_ROWS; ++r) sum[j][r] += T::dot(w + roff[r] + ib, i % T::SLICES, xv);
        }
    }
#pragma unroll
    for (int j = 0; j < NX; ++j)
#pragma unroll
        for (int r = 0; r < MATVEC_ROWS; ++r) {
            const float s = warp_reduce_sum(sum[j][r]);
            if (threadIdx.x % WARP_SIZE == 0) partial[threadIdx.x / WARP_SIZE][j][r] = s;
        }
    __syncthreads();
    const int j = threadIdx.x / MATVEC_ROWS, r = threadIdx.x % MATVEC_ROWS;
    if (j < (NX > 1 ? nx : 1) && row0 + r < nrows)
        y[(long long)j * nrows + row0 + r] = (partial[0][j][r] + partial[1][j][r]) + (partial[2][j][r] + partial[3][j][r]);
}

#define MATVEC_KERNEL(t, T)                                                                                        \
    extern "C" __global__ void __launch_bounds__(MATVEC_THREADS)                                                   \
        matvec_##t##_f32(const void* __restrict__ W, const float* __restrict__ x, float* __restrict__ y, int ncols,  \
                         int nrows) {                                                                              \
        matvec<T, 1>(W, x, y, ncols, nrows, 1);                                                                    \
    }

#define MATVEC8_KERNEL(t, T)                                                                                       \
    extern "C" __global__ void __launch_bounds__(MATVEC_THREADS)                                                   \
        matvec8_##t##_f32(const void* __restrict__ W, const float* __restrict__ x, float* __restrict__ y, int ncols, \
                          int nrows, int nx) {                                                                     \
        matvec<T, MATVEC_MAX_X>(W, x, y, ncols, nrows, nx);                                                        \
    }

MATVEC_KERNEL(q4_0, mv_q4_0)
MATVEC_KERNEL(q4_1, mv_q4_1)
MATVEC_KERNEL(q5_0, mv_q5_0)
MATVEC_KERNEL(q5_1, mv_q5_1)
MATVEC_KERNEL(q8_0, mv_q8_0)
MATVEC_KERNEL(q2_k, mv_q2_K)
MATVEC_KERNEL(q3_k, mv_q3_K)
MATVEC_KERNEL(q4_k, mv_q4_K)
MATVEC_KERNEL(q5_k, mv_q5_K)
MATVEC_KERNEL(q6_k, mv_q6_K)

MATVEC8_KERNEL(q4_0, mv_q4_0)
MATVEC8_KERNEL(q4_1, mv_q4_1)
MATVEC8_KERNEL(q5_0, mv_q5_0)
MATVEC8_KERNEL(q5_1, mv_q5_1)
MATVEC8_KERNEL(q8_0, mv_q8_0)
MATVEC8_KERNEL(q2_k, mv_q2_K)
MATVEC8_KERNEL(q3_k, mv_q3_K)
MATVEC8_KERNEL(q4_k, mv_q4_K)
MATVEC8_KERNEL(q5_k, mv_q5_K)
MATVEC8_KERNEL(q6_k, mv_q6_K)
