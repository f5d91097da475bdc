// Standalone GPU self-check of kernels/{dequant,matvec_q,get_rows,sample}.cu against host references (ggml-quants.c
// dequantize_row_* loops re-typed here, a double-precision dot, a sequential sampler chain). One PASS/FAIL line per
// kernel and case; exit code 1 on any failure.
// Build + run on a GPU machine: nvcc -O2 -arch=sm_90 -Ikernels tools/cuda-selftest/quant_selftest.cu -o /tmp/qst && /tmp/qst
// (--bench: 14336x4096 bandwidth of every matvec; --bench-tiny: the matvec kernels on TinyLlama decode shapes).
#include "dequant.cu"
#include "get_rows.cu"
#include "matvec_q.cu"
#include "sample.cu"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#define CK(call)                                                                                                   \
    do {                                                                                                           \
        cudaError_t e_ = (call);                                                                                   \
        if (e_ != cudaSuccess) {                                                                                   \
            printf("CUDA error %s at %s:%d\n", cudaGetErrorString(e_), __FILE__, __LINE__);                        \
            exit(2);                                                                                               \
        }                                                                                                          \
    } while (0)

static int g_failures = 0;
// splitmix64: no <random> (nvcc 11.8 + libstdc++ 12 cannot parse it)
static uint64_t g_rng = 1234;
static uint64_t rng_next() {
    uint64_t z = (g_rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static float rng_unit() { return (float)((rng_next() >> 40) * (1.0 / 16777216.0)); }

static void report(const char* kernel, const char* what, bool ok, double err) {
    printf("%s %-26s %-34s max_err=%.3g\n", ok ? "PASS" : "FAIL", kernel, what, err);
    if (!ok) ++g_failures;
}

// ---- host half helpers (independent of cuda_fp16 arithmetic)
static float h2f(__half h) {
    uint16_t b;
    memcpy(&b, &h, 2);
    const uint32_t sign = (uint32_t)(b >> 15) << 31, exp = (b >> 10) & 31, man = b & 1023;
    uint32_t f;
    if (exp == 0) {
        if (man == 0) f = sign;
        else { float v = std::ldexp((float)man, -24); memcpy(&f, &v, 4); f |= sign; }
    } else if (exp == 31) f = sign | 0x7F800000u | (man << 13);
    else f = sign | ((exp + 112) << 23) | (man << 13);
    float r;
    memcpy(&r, &f, 4);
    return r;
}
static __half f2h(float f) { return __float2half_rn(f); }
static uint16_t hbits(__half h) { uint16_t b; memcpy(&b, &h, 2); return b; }
static float rnd_uniform(float a, float b) { return a + (b - a) * rng_unit(); }

// ---- host references: ggml-quants.c dequantize_row_* (k = elements, multiple of the block size)
static void ref_q4_0(const block_q4_0* x, float* y, long k) {
    for (long i = 0; i < k / 32; i++) {
        const float d = h2f(x[i].d);
        for (int j = 0; j < 16; ++j) {
            const int x0 = (x[i].qs[j] & 0x0F) - 8, x1 = (x[i].qs[j] >> 4) - 8;
            y[i * 32 + j] = x0 * d;
            y[i * 32 + j + 16] = x1 * d;
        }
    }
}
static void ref_q4_1(const block_q4_1* x, float* y, long k) {
    for (long i = 0; i < k / 32; i++) {
        const float d = h2f(x[i].d), m = h2f(x[i].m);
        for (int j = 0; j < 16; ++j) {
            const int x0 = x[i].qs[j] & 0x0F, x1 = x[i].qs[j] >> 4;
            y[i * 32 + j] = x0 * d + m;
            y[i * 32 + j + 16] = x1 * d + m;
        }
    }
}
static void ref_q5_0(const block_q5_0* x, float* y, long k) {
    for (long i = 0; i < k / 32; i++) {
        const float d = h2f(x[i].d);
        uint32_t qh;
        memcpy(&qh, x[i].qh, 4);
        for (int j = 0; j < 16; ++j) {
            const uint8_t xh_0 = ((qh >> (j + 0)) << 4) & 0x10, xh_1 = ((qh >> (j + 12))) & 0x10;
            const int x0 = ((x[i].qs[j] & 0x0F) | xh_0) - 16, x1 = ((x[i].qs[j] >> 4) | xh_1) - 16;
            y[i * 32 + j] = x0 * d;
            y[i * 32 + j + 16] = x1 * d;
        }
    }
}
static void ref_q5_1(const block_q5_1* x, float* y, long k) {
    for (long i = 0; i < k / 32; i++) {
        const float d = h2f(x[i].d), m = h2f(x[i].m);
        uint32_t qh;
        memcpy(&qh, x[i].qh, 4);
        for (int j = 0; j < 16; ++j) {
            const uint8_t xh_0 = ((qh >> (j + 0)) << 4) & 0x10, xh_1 = ((qh >> (j + 12))) & 0x10;
            const int x0 = (x[i].qs[j] & 0x0F) | xh_0, x1 = (x[i].qs[j] >> 4) | xh_1;
            y[i * 32 + j] = x0 * d + m;
            y[i * 32 + j + 16] = x1 * d + m;
        }
    }
}
static void ref_q8_0(const block_q8_0* x, float* y, long k) {
    for (long i = 0; i < k / 32; i++) {
        const float d = h2f(x[i].d);
        for (int j = 0; j < 32; ++j) y[i * 32 + j] = x[i].qs[j] * d;
    }
}
static void ref_q2_K(const block_q2_K* x, float* y, long k) {
    for (long i = 0; i < k / 256; i++) {
        const float d = h2f(x[i].d), min = h2f(x[i].dmin);
        const uint8_t* q = x[i].qs;
        int is = 0;
        for (int n = 0; n < 256; n += 128) {
            int shift = 0;
            for (int j = 0; j < 4; ++j) {
                uint8_t sc = x[i].scales[is++];
                float dl = d * (sc & 0xF), ml = min * (sc >> 4);
                for (int l = 0; l < 16; ++l) *y++ = dl * ((int8_t)((q[l] >> shift) & 3)) - ml;
                sc = x[i].scales[is++];
                dl = d * (sc & 0xF), ml = min * (sc >> 4);
                for (int l = 0; l < 16; ++l) *y++ = dl * ((int8_t)((q[l + 16] >> shift) & 3)) - ml;
                shift += 2;
            }
            q += 32;
        }
    }
}
static void ref_q3_K(const block_q3_K* x, float* y, long k) {
    const uint32_t kmask1 = 0x03030303, kmask2 = 0x0f0f0f0f;
    uint32_t aux[4];
    const int8_t* scales = (const int8_t*)aux;
    for (long i = 0; i < k / 256; i++) {
        const float d_all = h2f(x[i].d);
        const uint8_t* q = x[i].qs;
        const uint8_t* hm = x[i].hmask;
        uint8_t m = 1;
        memcpy(aux, x[i].scales, 12);
        const uint32_t tmp = aux[2];
        aux[2] = ((aux[0] >> 4) & kmask2) | (((tmp >> 4) & kmask1) << 4);
        aux[3] = ((aux[1] >> 4) & kmask2) | (((tmp >> 6) & kmask1) << 4);
        aux[0] = (aux[0] & kmask2) | (((tmp >> 0) & kmask1) << 4);
        aux[1] = (aux[1] & kmask2) | (((tmp >> 2) & kmask1) << 4);
        int is = 0;
        for (int n = 0; n < 256; n += 128) {
            int shift = 0;
            for (int j = 0; j < 4; ++j) {
                float dl = d_all * (scales[is++] - 32);
                for (int l = 0; l < 16; ++l) *y++ = dl * ((int8_t)((q[l + 0] >> shift) & 3) - ((hm[l + 0] & m) ? 0 : 4));
                dl = d_all * (scales[is++] - 32);
                for (int l = 0; l < 16; ++l) *y++ = dl * ((int8_t)((q[l + 16] >> shift) & 3) - ((hm[l + 16] & m) ? 0 : 4));
                shift += 2;
                m <<= 1;
            }
            q += 32;
        }
    }
}
static void ref_scale_min_k4(int j, const uint8_t* q, uint8_t* d, uint8_t* m) {
    if (j < 4) { *d = q[j] & 63; *m = q[j + 4] & 63; }
    else { *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4); *m = (q[j + 4] >> 4) | ((q[j - 0] >> 6) << 4); }
}
static void ref_q4_K(const block_q4_K* x, float* y, long k) {
    for (long i = 0; i < k / 256; i++) {
        const uint8_t* q = x[i].qs;
        const float d = h2f(x[i].d), min = h2f(x[i].dmin);
        int is = 0;
        uint8_t sc, m;
        for (int j = 0; j < 256; j += 64) {
            ref_scale_min_k4(is + 0, x[i].scales, &sc, &m);
            const float d1 = d * sc, m1 = min * m;
            ref_scale_min_k4(is + 1, x[i].scales, &sc, &m);
            const float d2 = d * sc, m2 = min * m;
            for (int l = 0; l < 32; ++l) *y++ = d1 * (q[l] & 0xF) - m1;
            for (int l = 0; l < 32; ++l) *y++ = d2 * (q[l] >> 4) - m2;
            q += 32;
            is += 2;
        }
    }
}
static void ref_q5_K(const block_q5_K* x, float* y, long k) {
    for (long i = 0; i < k / 256; i++) {
        const uint8_t* ql = x[i].qs;
        const uint8_t* qh = x[i].qh;
        const float d = h2f(x[i].d), min = h2f(x[i].dmin);
        int is = 0;
        uint8_t sc, m, u1 = 1, u2 = 2;
        for (int j = 0; j < 256; j += 64) {
            ref_scale_min_k4(is + 0, x[i].scales, &sc, &m);
            const float d1 = d * sc, m1 = min * m;
            ref_scale_min_k4(is + 1, x[i].scales, &sc, &m);
            const float d2 = d * sc, m2 = min * m;
            for (int l = 0; l < 32; ++l) *y++ = d1 * ((ql[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - m1;
            for (int l = 0; l < 32; ++l) *y++ = d2 * ((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
            ql += 32;
            is += 2;
            u1 <<= 2;
            u2 <<= 2;
        }
    }
}
static void ref_q6_K(const block_q6_K* x, float* y, long k) {
    for (long i = 0; i < k / 256; i++) {
        const float d = h2f(x[i].d);
        const uint8_t* ql = x[i].ql;
        const uint8_t* qh = x[i].qh;
        const int8_t* sc = x[i].scales;
        for (int n = 0; n < 256; n += 128) {
            for (int l = 0; l < 32; ++l) {
                const int is = l / 16;
                const int8_t q1 = (int8_t)((ql[l + 0] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                const int8_t q2 = (int8_t)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                const int8_t q3 = (int8_t)((ql[l + 0] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                const int8_t q4 = (int8_t)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                y[l + 0] = d * sc[is + 0] * q1;
                y[l + 32] = d * sc[is + 2] * q2;
                y[l + 64] = d * sc[is + 4] * q3;
                y[l + 96] = d * sc[is + 6] * q4;
            }
            y += 128;
            ql += 64;
            qh += 32;
            sc += 8;
        }
    }
}

// Random blocks: random bytes, then finite scales in ranges typical of real models.
template <typename B>
static std::vector<B> random_blocks(long nb) {
    std::vector<B> v(nb);
    uint8_t* p = (uint8_t*)v.data();
    for (size_t i = 0; i < nb * sizeof(B); ++i) p[i] = (uint8_t)(rng_next() >> 56);
    return v;
}
static void fix_scales(block_q4_0& b) { b.d = f2h(rnd_uniform(-0.05f, 0.05f)); }
static void fix_scales(block_q4_1& b) { b.d = f2h(rnd_uniform(0.001f, 0.05f)); b.m = f2h(rnd_uniform(-0.4f, 0.0f)); }
static void fix_scales(block_q5_0& b) { b.d = f2h(rnd_uniform(-0.05f, 0.05f)); }
static void fix_scales(block_q5_1& b) { b.d = f2h(rnd_uniform(0.001f, 0.05f)); b.m = f2h(rnd_uniform(-0.4f, 0.0f)); }
static void fix_scales(block_q8_0& b) { b.d = f2h(rnd_uniform(-0.01f, 0.01f)); }
static void fix_scales(block_q2_K& b) { b.d = f2h(rnd_uniform(0.0f, 0.02f)); b.dmin = f2h(rnd_uniform(0.0f, 0.02f)); }
static void fix_scales(block_q3_K& b) { b.d = f2h(rnd_uniform(-0.01f, 0.01f)); }
static void fix_scales(block_q4_K& b) { b.d = f2h(rnd_uniform(0.0f, 0.005f)); b.dmin = f2h(rnd_uniform(0.0f, 0.01f)); }
static void fix_scales(block_q5_K& b) { b.d = f2h(rnd_uniform(0.0f, 0.003f)); b.dmin = f2h(rnd_uniform(0.0f, 0.01f)); }
static void fix_scales(block_q6_K& b) { b.d = f2h(rnd_uniform(-0.002f, 0.002f)); }

template <typename T>
static T* to_device(const std::vector<T>& v) {
    T* d;
    CK(cudaMalloc(&d, std::max<size_t>(1, v.size() * sizeof(T))));
    CK(cudaMemcpy(d, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
    return d;
}
template <typename T>
static std::vector<T> to_host(const T* d, size_t n) {
    std::vector<T> v(n);
    CK(cudaMemcpy(v.data(), d, n * sizeof(T), cudaMemcpyDeviceToHost));
    return v;
}

typedef void (*dequant_fn)(const void*, __half*, long long);
typedef void (*matvec_fn)(const void*, const float*, float*, int, int);
typedef void (*get_rows_fn)(const void*, const int*, float*, int);

// y = W x for one shape, relative error against a double dot <= 1e-5 of sum |w x|; 8 guard floats after y stay untouched.
// Launch: 128 threads, grid.x = ceil(nrows / rows_per_block) (the rule of both matvec_q.cu kernel families).
template <typename B>
static void check_matvec(const char* kname, int qk, void (*ref)(const B*, float*, long), matvec_fn mv,
                         int rows_per_block, int nrows, int ncols) {
    const long nb = (long)nrows * ncols / qk;
    auto blocks = random_blocks<B>(nb);
    for (auto& b : blocks) fix_scales(b);
    std::vector<float> w((size_t)nrows * ncols), x(ncols);
    ref(blocks.data(), w.data(), (long)nrows * ncols);
    for (auto& v : x) v = rnd_uniform(-1.0f, 1.0f);
    B* d_w = to_device(blocks);
    float* d_x = to_device(x);
    std::vector<float> init(nrows + 8, -777.0f);
    float* d_y = to_device(init);
    mv<<<(nrows + rows_per_block - 1) / rows_per_block, 128>>>(d_w, d_x, d_y, ncols, nrows);
    CK(cudaGetLastError());
    auto y = to_host(d_y, nrows + 8);
    double err = 0;
    bool ok = true;
    for (int r = 0; r < nrows; ++r) {
        double ref_y = 0, mag = 0;
        for (int c = 0; c < ncols; ++c) {
            ref_y += (double)w[(size_t)r * ncols + c] * x[c];
            mag += std::fabs((double)w[(size_t)r * ncols + c] * x[c]);
        }
        const double e = std::fabs(y[r] - ref_y) / std::max(mag, 1e-30);
        err = std::max(err, e);
        if (!(e <= 1e-5)) ok = false;
    }
    for (int r = nrows; r < nrows + 8; ++r) if (y[r] != -777.0f) ok = false;
    char label[128];
    snprintf(label, sizeof label, "%dx%d rel to sum|wx| <= 1e-5", nrows, ncols);
    report(kname, label, ok, err);
    CK(cudaFree(d_w));
    CK(cudaFree(d_x));
    CK(cudaFree(d_y));
}

template <typename B>
static void check_quant_type(const char* name, int qk, void (*ref)(const B*, float*, long), dequant_fn dq,
                             matvec_fn mv, get_rows_fn gr) {
    char label[128];
    // dequantize: n not a multiple of 256 for the 32-value types; guard elements after the output
    {
        const long nb = qk == 32 ? 37 : 5, n = nb * qk, guard = 64;
        auto blocks = random_blocks<B>(nb);
        for (auto& b : blocks) fix_scales(b);
        std::vector<float> ref_out(n);
        ref(blocks.data(), ref_out.data(), n);
        B* d_blocks = to_device(blocks);
        std::vector<__half> init(n + guard, f2h(-12345.0f));
        __half* d_out = to_device(init);
        dq<<<(unsigned)((n + 255) / 256), 256>>>(d_blocks, d_out, n);
        CK(cudaGetLastError());
        auto out = to_host(d_out, n + guard);
        long mismatches = 0;
        double err = 0;
        for (long i = 0; i < n; ++i) {
            if (hbits(out[i]) != hbits(f2h(ref_out[i]))) ++mismatches;
            err = std::max(err, (double)std::fabs(h2f(out[i]) - ref_out[i]));
        }
        for (long i = n; i < n + guard; ++i) if (hbits(out[i]) != hbits(f2h(-12345.0f))) ++mismatches;
        snprintf(label, sizeof label, "n=%ld bit-exact f16", n);
        char kname[64];
        snprintf(kname, sizeof kname, "dequantize_%s_f16", name);
        report(kname, label, mismatches == 0, err);
        CK(cudaFree(d_blocks));
        CK(cudaFree(d_out));
    }
    // matvec: several shapes, relative to sum |w x|
    const int shapes[][2] = {{qk == 32 ? 1280 : 1536, 67}, {4096, 33}, {qk == 32 ? 96 : 256, 5}};
    char kname[64];
    snprintf(kname, sizeof kname, "matvec_%s_f32", name);
    for (auto& s : shapes) check_matvec<B>(kname, qk, ref, mv, MATVEC_ROWS, s[1], s[0]);
    // get_rows: 7-row table, 3 tokens requested, grid.y = 4 (row 3 must stay untouched)
    {
        const int vocab = 7, ncols = qk == 32 ? 288 : 768, ntok = 3, gridy = 4;
        auto blocks = random_blocks<B>((long)vocab * ncols / qk);
        for (auto& b : blocks) fix_scales(b);
        std::vector<float> table((size_t)vocab * ncols);
        ref(blocks.data(), table.data(), (long)vocab * ncols);
        const std::vector<int> step = {9, ntok, 5, 0, 6, 1};
        B* d_t = to_device(blocks);
        int* d_s = to_device(step);
        std::vector<float> init((size_t)gridy * ncols, -777.0f);
        float* d_o = to_device(init);
        gr<<<dim3((ncols + 255) / 256, gridy), 256>>>(d_t, d_s, d_o, ncols);
        CK(cudaGetLastError());
        auto o = to_host(d_o, (size_t)gridy * ncols);
        bool ok = true;
        double err = 0;
        for (int r = 0; r < gridy; ++r)
            for (int c = 0; c < ncols; ++c) {
                const float want = r < ntok ? table[(size_t)step[2 + r] * ncols + c] : -777.0f;
                const float got = o[(size_t)r * ncols + c];
                if (memcmp(&want, &got, 4) != 0) ok = false;
                err = std::max(err, (double)std::fabs(want - got));
            }
        char kname[64];
        snprintf(kname, sizeof kname, "get_rows_%s_f32", name);
        report(kname, "3 tokens, grid.y=4, bit-exact", ok, err);
        CK(cudaFree(d_t));
        CK(cudaFree(d_s));
        CK(cudaFree(d_o));
    }
}

#include "sample_checks.h"

// --bench: effective weight bandwidth of the matvec kernels on a 14336 x 4096 (rows x cols) matrix.
template <typename B>
static void bench_matvec(const char* name, int qk, matvec_fn mv) {
    const int nrows = 14336, ncols = 4096;
    const long nb = (long)nrows * ncols / qk;
    auto blocks = random_blocks<B>(nb);
    for (auto& b : blocks) fix_scales(b);
    B* d_w = to_device(blocks);
    float* d_x = to_device(std::vector<float>(ncols, 0.5f));
    float* d_y = to_device(std::vector<float>(nrows, 0.0f));
    cudaEvent_t a, b;
    CK(cudaEventCreate(&a));
    CK(cudaEventCreate(&b));
    for (int i = 0; i < 3; ++i) mv<<<(nrows + MATVEC_ROWS - 1) / MATVEC_ROWS, 128>>>(d_w, d_x, d_y, ncols, nrows);
    const int iters = 50;
    CK(cudaEventRecord(a));
    for (int i = 0; i < iters; ++i) mv<<<(nrows + MATVEC_ROWS - 1) / MATVEC_ROWS, 128>>>(d_w, d_x, d_y, ncols, nrows);
    CK(cudaEventRecord(b));
    CK(cudaEventSynchronize(b));
    float ms = 0;
    CK(cudaEventElapsedTime(&ms, a, b));
    const double us = 1000.0 * ms / iters, gbs = nb * sizeof(B) / (us * 1e3);
    printf("BENCH matvec_%s_f32 %dx%d rows/block=%d: %.1f us, %.0f GB/s of weights\n", name, nrows, ncols,
           MATVEC_ROWS, us, gbs);
    CK(cudaFree(d_w));
    CK(cudaFree(d_x));
    CK(cudaFree(d_y));
}

static void bench_all() {
    bench_matvec<block_q4_0>("q4_0", 32, matvec_q4_0_f32);
    bench_matvec<block_q8_0>("q8_0", 32, matvec_q8_0_f32);
    bench_matvec<block_q5_1>("q5_1", 32, matvec_q5_1_f32);
    bench_matvec<block_q2_K>("q2_k", 256, matvec_q2_k_f32);
    bench_matvec<block_q3_K>("q3_k", 256, matvec_q3_k_f32);
    bench_matvec<block_q4_K>("q4_k", 256, matvec_q4_k_f32);
    bench_matvec<block_q5_K>("q5_k", 256, matvec_q5_k_f32);
    bench_matvec<block_q6_K>("q6_k", 256, matvec_q6_k_f32);
    std::vector<float> x = random_logits(128256, 3.0f, false);
    float* d_x = to_device(x);
    int* d_o = to_device(std::vector<int>{0});
    float* d_u = to_device(std::vector<float>{0.5f});
    cudaEvent_t a, b;
    CK(cudaEventCreate(&a));
    CK(cudaEventCreate(&b));
    const int ks[] = {40, 0};
    for (int k : ks) {
        sample_topk_topp_f32<<<1, 1024>>>(d_x, 128256, 0.8f, k, 0.95f, 0.05f, d_u, d_o);
        CK(cudaEventRecord(a));
        for (int i = 0; i < 20; ++i) sample_topk_topp_f32<<<1, 1024>>>(d_x, 128256, 0.8f, k, 0.95f, 0.05f, d_u, d_o);
        CK(cudaEventRecord(b));
        CK(cudaEventSynchronize(b));
        float ms = 0;
        CK(cudaEventElapsedTime(&ms, a, b));
        printf("BENCH sample_topk_topp_f32 n=128256 top_k=%d: %.1f us\n", k, 1000.0 * ms / 20);
    }
}

// --bench-tiny: the matvec kernels on the TinyLlama-1.1B decode shapes. Each timing is 200 back-to-back
// launches rotating over enough weight copies (>= 4, >= 2x the L2 size in total) that L2 cannot serve a repeat;
// median of 5 repeats.
template <typename B>
static float time_matvec(matvec_fn mv, int rows_per_block, const uint8_t* d_w, size_t stride, int copies,
                         const float* d_x, float* d_y, int nrows, int ncols) {
    const unsigned grid = (nrows + rows_per_block - 1) / rows_per_block;
    cudaEvent_t a, b;
    CK(cudaEventCreate(&a));
    CK(cudaEventCreate(&b));
    for (int i = 0; i < copies; ++i) mv<<<grid, 128>>>(d_w + i * stride, d_x, d_y, ncols, nrows);
    const int iters = 200;
    std::vector<float> t(5);
    for (float& us : t) {
        CK(cudaEventRecord(a));
        for (int i = 0; i < iters; ++i) mv<<<grid, 128>>>(d_w + (i % copies) * stride, d_x, d_y, ncols, nrows);
        CK(cudaEventRecord(b));
        CK(cudaEventSynchronize(b));
        float ms = 0;
        CK(cudaEventElapsedTime(&ms, a, b));
        us = 1000.0f * ms / iters;
    }
    CK(cudaGetLastError());
    CK(cudaEventDestroy(a));
    CK(cudaEventDestroy(b));
    std::sort(t.begin(), t.end());
    return t[2];
}

template <typename B>
static void bench_tiny_type(const char* name, int qk, matvec_fn mv) {
    const int shapes[][2] = {{2048, 2048}, {256, 2048}, {5632, 2048}, {2048, 5632}, {32000, 2048}};
    int l2 = 0;
    CK(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, 0));
    for (auto& s : shapes) {
        const int nrows = s[0], ncols = s[1];
        const long nb = (long)nrows * ncols / qk;
        const size_t bytes = nb * sizeof(B), stride = (bytes + 255) / 256 * 256;
        const int copies = (int)std::max<size_t>(4, (2 * (size_t)l2 + bytes - 1) / bytes);
        auto blocks = random_blocks<B>(nb);
        for (auto& b : blocks) fix_scales(b);
        uint8_t* d_w;
        CK(cudaMalloc(&d_w, stride * copies));
        for (int i = 0; i < copies; ++i) CK(cudaMemcpy(d_w + i * stride, blocks.data(), bytes, cudaMemcpyHostToDevice));
        std::vector<float> x(ncols);
        for (auto& v : x) v = rnd_uniform(-1.0f, 1.0f);
        float* d_x = to_device(x);
        float* d_y = to_device(std::vector<float>(nrows, 0.0f));
        const float t = time_matvec<B>(mv, MATVEC_ROWS, d_w, stride, copies, d_x, d_y, nrows, ncols);
        printf("%-5s %6dx%-5d %9.2f %9.0f %7d\n", name, nrows, ncols, t, bytes / (t * 1e3), copies);
        CK(cudaFree(d_w));
        CK(cudaFree(d_x));
        CK(cudaFree(d_y));
    }
}

static void bench_tiny() {
    printf("BENCH-TINY (rows x cols; us per launch, median of 5 x 200 launches)\n");
    printf("%-5s %12s %9s %9s %7s\n", "type", "shape", "us", "GB/s", "copies");
    bench_tiny_type<block_q4_K>("q4_k", 256, matvec_q4_k_f32);
    bench_tiny_type<block_q6_K>("q6_k", 256, matvec_q6_k_f32);
    bench_tiny_type<block_q4_0>("q4_0", 32, matvec_q4_0_f32);
    bench_tiny_type<block_q8_0>("q8_0", 32, matvec_q8_0_f32);
}

int main(int argc, char** argv) {
    int dev = 0;
    cudaDeviceProp prop;
    CK(cudaGetDeviceProperties(&prop, dev));
    printf("device: %s (sm_%d%d)\n", prop.name, prop.major, prop.minor);
    check_quant_type<block_q4_0>("q4_0", 32, ref_q4_0, dequantize_q4_0_f16, matvec_q4_0_f32, get_rows_q4_0_f32);
    check_quant_type<block_q4_1>("q4_1", 32, ref_q4_1, dequantize_q4_1_f16, matvec_q4_1_f32, get_rows_q4_1_f32);
    check_quant_type<block_q5_0>("q5_0", 32, ref_q5_0, dequantize_q5_0_f16, matvec_q5_0_f32, get_rows_q5_0_f32);
    check_quant_type<block_q5_1>("q5_1", 32, ref_q5_1, dequantize_q5_1_f16, matvec_q5_1_f32, get_rows_q5_1_f32);
    check_quant_type<block_q8_0>("q8_0", 32, ref_q8_0, dequantize_q8_0_f16, matvec_q8_0_f32, get_rows_q8_0_f32);
    check_quant_type<block_q2_K>("q2_k", 256, ref_q2_K, dequantize_q2_k_f16, matvec_q2_k_f32, get_rows_q2_k_f32);
    check_quant_type<block_q3_K>("q3_k", 256, ref_q3_K, dequantize_q3_k_f16, matvec_q3_k_f32, get_rows_q3_k_f32);
    check_quant_type<block_q4_K>("q4_k", 256, ref_q4_K, dequantize_q4_k_f16, matvec_q4_k_f32, get_rows_q4_k_f32);
    check_quant_type<block_q5_K>("q5_k", 256, ref_q5_K, dequantize_q5_k_f16, matvec_q5_k_f32, get_rows_q5_k_f32);
    check_quant_type<block_q6_K>("q6_k", 256, ref_q6_K, dequantize_q6_k_f16, matvec_q6_k_f32, get_rows_q6_k_f32);
    check_get_rows_plain<float>("get_rows_f32_f32", get_rows_f32_f32, id_f, id_f);
    check_get_rows_plain<__half>("get_rows_f16_f32", get_rows_f16_f32, f2h, h2f);
    check_get_rows_plain<__nv_bfloat16>("get_rows_bf16_f32", get_rows_bf16_f32, f_bf16, bf16_to_f);
    check_argmax();
    check_sample();
    CK(cudaDeviceSynchronize());
    if (argc > 1 && strcmp(argv[1], "--bench") == 0) bench_all();
    if (argc > 1 && strcmp(argv[1], "--bench-tiny") == 0) bench_tiny();
    printf("%s: %d failure(s)\n", g_failures ? "FAILED" : "ALL PASSED", g_failures);
    return g_failures ? 1 : 0;
}
