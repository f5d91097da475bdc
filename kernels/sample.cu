// Token selection on the device: greedy argmax and llama.cpp's sampler chain top-k -> top-p -> min-p -> temperature
// -> dist (semantics of llama-sampling.cpp), in one block, with a documented candidate cap and tie rule.
//
// Launch rule (both kernels): grid = 1 block, block = 1024 threads exactly, no dynamic shared memory
// (sample_topk_topp_f32 uses ~41 KB static). logits: [n] f32, n >= 1; out: int[1].
//
// argmax_f32: out[0] = the index of the largest x; ties -> the lowest index; NaN entries are ignored
// (all NaN -> 0).
//
// sample_topk_topp_f32 (the CPU sampler must follow the same steps to match it):
//  0. temperature <= 0: out = argmax as above (llama.cpp switches to its greedy sampler).
//  1. Candidate order: logit descending, then token index ascending (NaN logits count as -inf).
//  2. top-k: K = top_k > 0 ? min(top_k, n) : n; the candidates are the first K in that order.
//     Cap: only the first C = min(K, 1024) are kept from here on (SAMPLE_MAX_CANDIDATES).
//  3. top-p (only if top_p < 1): p_i = exp(l_i - l_0) / Z, Z = sum of exp(l_j - l_0) over all K top-k candidates
//     (not only the C kept); keep the shortest prefix whose cumulative p reaches top_p (cum >= top_p), at most C.
//  4. min-p (only if min_p > 0): keep the prefix with l_i >= l_0 + logf(min_p) (always at least one).
//  5. temperature: l_i /= temperature; w_i = exp(l_i - l_0) over the kept prefix.
//  6. dist: target = u * sum(w), u = uniform[0] clamped to [0, 1); out = the first kept candidate whose cumulative w
//     is >= target (the last kept one if rounding leaves none).
// Sums and cumulative sums are float and computed by parallel reductions/scans, so they match a sequential CPU loop
// only up to float rounding (relevant only when a cut or the target falls within a few ulps of a boundary).
// The only semantic difference from llama.cpp is the cap: when top-k/top-p/min-p would keep more than 1024 tokens
// (e.g. top_k <= 0 with top_p = 1 and min_p = 0), the 1024 most likely are kept.
#include "common.cuh"

#define SAMPLE_THREADS 1024
#define SAMPLE_MAX_CANDIDATES 1024
#define SAMPLE_WARPS (SAMPLE_THREADS / WARP_SIZE)
#define SAMPLE_BATCH 8

static __device__ __forceinline__ float sanitize_logit(float l) { return isnan(l) ? -INFINITY : l; }

// 64-bit key, larger = earlier in candidate order: order-preserving float bits above the complemented index.
static __device__ __forceinline__ unsigned long long cand_key(float l, int idx) {
    const uint32_t u = __float_as_uint(l);
    const uint32_t ord = (u & 0x80000000u) ? ~u : (u | 0x80000000u);
    return ((unsigned long long)ord << 32) | (uint32_t)(0xFFFFFFFFu - (uint32_t)idx);
}

struct SampleShared {
    int hist[SAMPLE_WARPS][256];
    float cl[SAMPLE_MAX_CANDIDATES];
    int ci[SAMPLE_MAX_CANDIDATES];
    float scratch[WARP_SIZE];
    unsigned long long prefix;
    int shift, need, count, first;
    bool done;
};

// Radix select of the K largest keys (1 <= K <= n): afterwards element e is among them iff
// (cand_key(e) >> sh.shift) >= sh.prefix.
static __device__ void select_top(const float* logits, int n, int K, SampleShared& sh) {
    const int tid = threadIdx.x, lane = tid % WARP_SIZE, warp = tid / WARP_SIZE;
    if (tid == 0) { sh.prefix = 0; sh.need = K; sh.done = false; }
    for (int s = 56; s >= 0; s -= 8) {
        for (int i = tid; i < SAMPLE_WARPS * 256; i += SAMPLE_THREADS) (&sh.hist[0][0])[i] = 0;
        __syncthreads();
        const unsigned long long prefix = sh.prefix;
        // SAMPLE_BATCH independent loads per thread before the warp-synchronous histogram updates
        for (int base = 0; base < n; base += SAMPLE_THREADS * SAMPLE_BATCH) {
            float v[SAMPLE_BATCH];
#pragma unroll
            for (int u = 0; u < SAMPLE_BATCH; ++u) {
                const int i = base + u * SAMPLE_THREADS + tid;
                v[u] = i < n ? logits[i] : 0.0f;
            }
#pragma unroll
            for (int u = 0; u < SAMPLE_BATCH; ++u) {
                const int i = base + u * SAMPLE_THREADS + tid;
                int bin = -1;
                if (i < n) {
                    const unsigned long long r = cand_key(sanitize_logit(v[u]), i);
                    if (s == 56 || (r >> (s + 8)) == prefix) bin = (int)((r >> s) & 255);
                }
                const unsigned peers = __match_any_sync(0xffffffffu, bin);
                if (bin >= 0 && lane == __ffs(peers) - 1) atomicAdd(&sh.hist[warp][bin], __popc(peers));
            }
        }
        __syncthreads();
        if (tid < 256) {
            int c = 0;
            for (int w = 0; w < SAMPLE_WARPS; ++w) c += sh.hist[w][tid];
            sh.hist[0][tid] = c;
        }
        __syncthreads();
        if (warp == 0) {
            // lane l owns bins 255 - 8l ... 248 - 8l (descending digit order)
            int own = 0;
            for (int j = 0; j < 8; ++j) own += sh.hist[0][255 - 8 * lane - j];
            int incl = own;
            for (int o = 1; o < WARP_SIZE; o <<= 1) {
                const int v = __shfl_up_sync(0xffffffffu, incl, o);
                if (lane >= o) incl += v;
            }
            const int need = sh.need, excl = incl - own;
            if (excl < need && need <= incl) {
                int c = excl;
                for (int j = 0; j < 8; ++j) {
                    const int b = 255 - 8 * lane - j, h = sh.hist[0][b];
                    if (c + h >= need) {
                        sh.prefix = (prefix << 8) | (unsigned long long)b;
                        sh.need = need - c;
                        sh.shift = s;
                        sh.done = (need - c == h);
                        break;
                    }
                    c += h;
                }
            }
        }
        __syncthreads();
        if (sh.done) break;
    }
}

static __device__ __forceinline__ bool in_top(float l, int i, const SampleShared& sh) {
    return (cand_key(l, i) >> sh.shift) >= sh.prefix;
}

// Inclusive prefix sum over the block (thread order); `scratch` holds 32 floats.
static __device__ float block_scan_sum(float v, float* scratch) {
    const int lane = threadIdx.x % WARP_SIZE, warp = threadIdx.x / WARP_SIZE;
    for (int o = 1; o < WARP_SIZE; o <<= 1) {
        const float u = __shfl_up_sync(0xffffffffu, v, o);
        if (lane >= o) v += u;
    }
    __syncthreads();
    if (lane == WARP_SIZE - 1) scratch[warp] = v;
    __syncthreads();
    if (warp == 0) {
        float w = lane < SAMPLE_WARPS ? scratch[lane] : 0.0f;
        for (int o = 1; o < WARP_SIZE; o <<= 1) {
            const float u = __shfl_up_sync(0xffffffffu, w, o);
            if (lane >= o) w += u;
        }
        scratch[lane] = w;
    }
    __syncthreads();
    if (warp > 0) v += scratch[warp - 1];
    __syncthreads();
    return v;
}

// Block-wide argmax with the lowest index on ties; every thread gets the index (INT_MAX when all are NaN).
static __device__ int block_argmax(const float* x, int n, float* sval, int* sidx) {
    float best = -INFINITY;
    int bi = 0x7fffffff;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        const float v = x[i];
        if (v > best || (v == best && i < bi)) { best = v; bi = i; }
    }
    for (int o = WARP_SIZE / 2; o > 0; o >>= 1) {
        const float v = __shfl_xor_sync(0xffffffffu, best, o);
        const int j = __shfl_xor_sync(0xffffffffu, bi, o);
        if (v > best || (v == best && j < bi)) { best = v; bi = j; }
    }
    const int lane = threadIdx.x % WARP_SIZE, warp = threadIdx.x / WARP_SIZE;
    __syncthreads();
    if (lane == 0) { sval[warp] = best; sidx[warp] = bi; }
    __syncthreads();
    if (warp == 0) {
        const int nw = (blockDim.x + WARP_SIZE - 1) / WARP_SIZE;
        best = lane < nw ? sval[lane] : -INFINITY;
        bi = lane < nw ? sidx[lane] : 0x7fffffff;
        for (int o = WARP_SIZE / 2; o > 0; o >>= 1) {
            const float v = __shfl_xor_sync(0xffffffffu, best, o);
            const int j = __shfl_xor_sync(0xffffffffu, bi, o);
            if (v > best || (v == best && j < bi)) { best = v; bi = j; }
        }
        if (lane == 0) sidx[0] = bi;
    }
    __syncthreads();
    return sidx[0];
}

extern "C" __global__ void __launch_bounds__(SAMPLE_THREADS) argmax_f32(const float* __restrict__ x, int n, int* out) {
    __shared__ float sval[WARP_SIZE];
    __shared__ int sidx[WARP_SIZE];
    const int i = block_argmax(x, n, sval, sidx);
    if (threadIdx.x == 0) out[0] = i == 0x7fffffff ? 0 : i;
}

// true when candidate a comes before candidate b
static __device__ __forceinline__ bool cand_before(float la, int ia, float lb, int ib) {
    return la > lb || (la == lb && ia < ib);
}

extern "C" __global__ void __launch_bounds__(SAMPLE_THREADS)
    sample_topk_topp_f32(const float* __restrict__ logits, int n, float temperature, int top_k, float top_p, float min_p,
                         const float* __restrict__ uniform, int* out) {
    __shared__ SampleShared sh;
    const int tid = threadIdx.x;
    if (n <= 0) {
        if (tid == 0) out[0] = -1;
        return;
    }
    if (!(temperature > 0.0f)) {
        const int i = block_argmax(logits, n, sh.scratch, sh.ci);
        if (tid == 0) out[0] = i == 0x7fffffff ? 0 : i;
        return;
    }
    const int K = top_k > 0 ? min(top_k, n) : n;
    const int C = min(K, SAMPLE_MAX_CANDIDATES);

    // gather and sort the C best candidates (bitonic sort, one element per thread)
    select_top(logits, n, C, sh);
    if (tid == 0) sh.count = 0;
    __syncthreads();
#pragma unroll 8
    for (int i = tid; i < n; i += SAMPLE_THREADS) {
        const float l = sanitize_logit(logits[i]);
        if (in_top(l, i, sh)) {
            const int slot = atomicAdd(&sh.count, 1);
            if (slot < SAMPLE_MAX_CANDIDATES) { sh.cl[slot] = l; sh.ci[slot] = i; }
        }
    }
    __syncthreads();
    if (tid >= sh.count) { sh.cl[tid] = -INFINITY; sh.ci[tid] = 0x7fffffff; }
    __syncthreads();
    for (int k = 2; k <= SAMPLE_MAX_CANDIDATES; k <<= 1) {
        for (int j = k >> 1; j > 0; j >>= 1) {
            const int p = tid ^ j;
            if (p > tid) {
                const float la = sh.cl[tid], lb = sh.cl[p];
                const int ia = sh.ci[tid], ib = sh.ci[p];
                const bool swap = (tid & k) == 0 ? cand_before(lb, ib, la, ia) : cand_before(la, ia, lb, ib);
                if (swap) { sh.cl[tid] = lb; sh.cl[p] = la; sh.ci[tid] = ib; sh.ci[p] = ia; }
            }
            __syncthreads();
        }
    }
    const float l0 = sh.cl[0];
    const float li = tid < C ? sh.cl[tid] : -INFINITY;
    int kept = C;

    if (top_p < 1.0f) {
        float z;
        if (K == C) {
            z = block_reduce_sum(tid < C ? expf(li - l0) : 0.0f, sh.scratch);
        } else {
            if (K < n) select_top(logits, n, K, sh);
            float part = 0.0f;
#pragma unroll 8
            for (int i = tid; i < n; i += SAMPLE_THREADS) {
                const float l = sanitize_logit(logits[i]);
                if (K == n || in_top(l, i, sh)) part += expf(l - l0);
            }
            z = block_reduce_sum(part, sh.scratch);
        }
        const float cum = block_scan_sum(tid < C ? expf(li - l0) / z : 0.0f, sh.scratch);
        if (tid == 0) sh.first = C;
        __syncthreads();
        if (tid < C && cum >= top_p) atomicMin(&sh.first, tid + 1);
        __syncthreads();
        kept = sh.first;
        __syncthreads();
    }
    if (min_p > 0.0f) {
        const float min_logit = l0 + logf(min_p);
        if (tid == 0) sh.first = kept;
        __syncthreads();
        if (tid >= 1 && tid < kept && li < min_logit) atomicMin(&sh.first, tid);
        __syncthreads();
        kept = sh.first;
        __syncthreads();
    }

    const float w = tid < kept ? expf(li / temperature - l0 / temperature) : 0.0f;
    const float cum = block_scan_sum(w, sh.scratch);
    if (tid == kept - 1) sh.scratch[0] = cum;
    if (tid == 0) sh.first = kept - 1;
    __syncthreads();
    const float u = fminf(fmaxf(uniform[0], 0.0f), 0.99999994f);
    const float target = u * sh.scratch[0];
    if (tid < kept && cum >= target) atomicMin(&sh.first, tid);
    __syncthreads();
    if (tid == 0) out[0] = sh.ci[sh.first];
}
