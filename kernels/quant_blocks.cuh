// ggml quantisation blocks (layout from ggml-common.h, field for field as Quantization/*.cs) and per-element
// dequantisation with exactly ggml-quants.c dequantize_row_* arithmetic (fp32, no FMA contraction).
#pragma once
#include "common.cuh"

#define QK4_0 32
#define QK4_1 32
#define QK5_0 32
#define QK5_1 32
#define QK8_0 32
#define QK8_1 32
#define QK_K 256

// Every struct has 2-byte alignment (its widest field is a __half): only 8/16-bit reads are safe on a single block.
struct block_q4_0 { __half d; uint8_t qs[QK4_0 / 2]; };
struct block_q4_1 { __half d; __half m; uint8_t qs[QK4_1 / 2]; };
struct block_q5_0 { __half d; uint8_t qh[4]; uint8_t qs[QK5_0 / 2]; };
struct block_q5_1 { __half d; __half m; uint8_t qh[4]; uint8_t qs[QK5_1 / 2]; };
struct block_q8_0 { __half d; int8_t qs[QK8_0]; };
struct block_q8_1 { __half d; __half s; int8_t qs[QK8_1]; };
struct block_q2_K { uint8_t scales[QK_K / 16]; uint8_t qs[QK_K / 4]; __half d; __half dmin; };
struct block_q3_K { uint8_t hmask[QK_K / 8]; uint8_t qs[QK_K / 4]; uint8_t scales[12]; __half d; };
struct block_q4_K { __half d; __half dmin; uint8_t scales[12]; uint8_t qs[QK_K / 2]; };
struct block_q5_K { __half d; __half dmin; uint8_t scales[12]; uint8_t qh[QK_K / 8]; uint8_t qs[QK_K / 2]; };
struct block_q6_K { uint8_t ql[QK_K / 2]; uint8_t qh[QK_K / 4]; int8_t scales[QK_K / 16]; __half d; };

static_assert(sizeof(block_q4_0) == 18, "block_q4_0 size");
static_assert(sizeof(block_q4_1) == 20, "block_q4_1 size");
static_assert(sizeof(block_q5_0) == 22, "block_q5_0 size");
static_assert(sizeof(block_q5_1) == 24, "block_q5_1 size");
static_assert(sizeof(block_q8_0) == 34, "block_q8_0 size");
static_assert(sizeof(block_q8_1) == 36, "block_q8_1 size");
static_assert(sizeof(block_q2_K) == 84, "block_q2_K size");
static_assert(sizeof(block_q3_K) == 110, "block_q3_K size");
static_assert(sizeof(block_q4_K) == 144, "block_q4_K size");
static_assert(sizeof(block_q5_K) == 176, "block_q5_K size");
static_assert(sizeof(block_q6_K) == 210, "block_q6_K size");

// Element j (0 <= j < block size) of one block, in fp32. Products/sums use __fmul_rn/__fadd_rn so that nvcc does not
// fuse them into FMAs: the result is then bit-identical to the scalar C reference (and to the C# scalar reference).
#define QB_HD __device__ __forceinline__

static QB_HD float qb_h2f(__half h) { return __half2float(h); }

static QB_HD float dq_elem(const block_q4_0* b, int j) {
    const int q = j < 16 ? (b->qs[j] & 0x0F) : (b->qs[j - 16] >> 4);
    return __fmul_rn((float)(q - 8), qb_h2f(b->d));
}

static QB_HD float dq_elem(const block_q4_1* b, int j) {
    const int q = j < 16 ? (b->qs[j] & 0x0F) : (b->qs[j - 16] >> 4);
    return __fadd_rn(__fmul_rn((float)q, qb_h2f(b->d)), qb_h2f(b->m));
}

static QB_HD uint32_t qb_qh32(const uint8_t* qh) {
    return (uint32_t)qh[0] | ((uint32_t)qh[1] << 8) | ((uint32_t)qh[2] << 16) | ((uint32_t)qh[3] << 24);
}

// Bit j of qh is the fifth bit of element j (ggml: xh_0 = bit j, xh_1 = bit j + 16).
static QB_HD float dq_elem(const block_q5_0* b, int j) {
    const int lo = j < 16 ? (b->qs[j] & 0x0F) : (b->qs[j - 16] >> 4);
    const int q = lo | (int)(((qb_qh32(b->qh) >> j) & 1u) << 4);
    return __fmul_rn((float)(q - 16), qb_h2f(b->d));
}

static QB_HD float dq_elem(const block_q5_1* b, int j) {
    const int lo = j < 16 ? (b->qs[j] & 0x0F) : (b->qs[j - 16] >> 4);
    const int q = lo | (int)(((qb_qh32(b->qh) >> j) & 1u) << 4);
    return __fadd_rn(__fmul_rn((float)q, qb_h2f(b->d)), qb_h2f(b->m));
}

static QB_HD float dq_elem(const block_q8_0* b, int j) {
    return __fmul_rn((float)b->qs[j], qb_h2f(b->d));
}

// Q2_K / Q3_K element j: half n = j/128, shift group g = (j%128)/32, sixteen h = (j%32)/16, l = j%16;
// quant byte qs[32n + 16h + l] >> 2g, scale index 8n + 2g + h.
static QB_HD float dq_elem(const block_q2_K* b, int j) {
    const int n = j >> 7, g = (j >> 5) & 3, h = (j >> 4) & 1, l = j & 15;
    const int q = (b->qs[32 * n + 16 * h + l] >> (2 * g)) & 3;
    const int sc = b->scales[8 * n + 2 * g + h];
    const float dl = __fmul_rn(qb_h2f(b->d), (float)(sc & 0xF));
    const float ml = __fmul_rn(qb_h2f(b->dmin), (float)(sc >> 4));
    return __fsub_rn(__fmul_rn(dl, (float)q), ml);
}

// Q3_K 6-bit scale i (0..15), unpacked as ggml's kmask1/kmask2 shuffle, minus 32.
static QB_HD int q3k_scale(const uint8_t* s, int i) {
    const int lo = i < 8 ? (s[i] & 0x0F) : (s[i - 8] >> 4);
    const int hi = (s[8 + (i & 3)] >> (2 * (i >> 2))) & 3;
    return (lo | (hi << 4)) - 32;
}

static QB_HD float dq_elem(const block_q3_K* b, int j) {
    const int n = j >> 7, g = (j >> 5) & 3, h = (j >> 4) & 1, l = j & 15;
    const int lo = (b->qs[32 * n + 16 * h + l] >> (2 * g)) & 3;
    const int q = lo - ((b->hmask[16 * h + l] & (1 << (4 * n + g))) ? 0 : 4);
    const float dl = __fmul_rn(qb_h2f(b->d), (float)q3k_scale(b->scales, 8 * n + 2 * g + h));
    return __fmul_rn(dl, (float)q);
}

// ggml get_scale_min_k4: 6-bit scale and min i (0..7) of Q4_K / Q5_K.
static QB_HD void k4_scale_min(const uint8_t* s, int i, int* sc, int* m) {
    if (i < 4) {
        *sc = s[i] & 63;
        *m = s[i + 4] & 63;
    } else {
        *sc = (s[i + 4] & 0xF) | ((s[i - 4] >> 6) << 4);
        *m = (s[i + 4] >> 4) | ((s[i] >> 6) << 4);
    }
}

// Q4_K / Q5_K element j: 64-group g = j/64, nibble half hi = (j%64)/32, l = j%32; byte qs[32g + l], scale 2g + hi.
static QB_HD float dq_elem(const block_q4_K* b, int j) {
    const int g = j >> 6, hi = (j >> 5) & 1, l = j & 31;
    const int q = (b->qs[32 * g + l] >> (4 * hi)) & 0xF;
    int sc, m;
    k4_scale_min(b->scales, 2 * g + hi, &sc, &m);
    const float d1 = __fmul_rn(qb_h2f(b->d), (float)sc);
    const float m1 = __fmul_rn(qb_h2f(b->dmin), (float)m);
    return __fsub_rn(__fmul_rn(d1, (float)q), m1);
}

static QB_HD float dq_elem(const block_q5_K* b, int j) {
    const int g = j >> 6, hi = (j >> 5) & 1, l = j & 31;
    const int q = ((b->qs[32 * g + l] >> (4 * hi)) & 0xF) + ((b->qh[l] & (1 << (2 * g + hi))) ? 16 : 0);
    int sc, m;
    k4_scale_min(b->scales, 2 * g + hi, &sc, &m);
    const float d1 = __fmul_rn(qb_h2f(b->d), (float)sc);
    const float m1 = __fmul_rn(qb_h2f(b->dmin), (float)m);
    return __fsub_rn(__fmul_rn(d1, (float)q), m1);
}

// Q6_K element j: half n = j/128, quarter k = (j%128)/32, l = j%32; low nibble from ql[64n + 32(k&1) + l] (high
// nibble when k >= 2), two high bits (qh[32n + l] >> 2k) & 3, scale scales[8n + l/16 + 2k]; value d * sc * (q - 32).
static QB_HD float dq_elem(const block_q6_K* b, int j) {
    const int n = j >> 7, k = (j >> 5) & 3, l = j & 31;
    const int lo = (b->ql[64 * n + 32 * (k & 1) + l] >> (4 * (k >> 1))) & 0xF;
    const int q = (lo | (((b->qh[32 * n + l] >> (2 * k)) & 3) << 4)) - 32;
    const float ds = __fmul_rn(qb_h2f(b->d), (float)b->scales[8 * n + (l >> 4) + 2 * k]);
    return __fmul_rn(ds, (float)q);
}

// Little-endian loads of packed quant bytes at a 2-byte or 4-byte aligned address.
static __device__ __forceinline__ uint32_t ld_u32_a2(const uint8_t* p) {
    const uint16_t* h = (const uint16_t*)p;
    return (uint32_t)h[0] | ((uint32_t)h[1] << 16);
}
static __device__ __forceinline__ uint32_t ld_u32_a4(const uint8_t* p) { return *(const uint32_t*)p; }
