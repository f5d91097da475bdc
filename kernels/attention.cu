// Causal attention out = softmax(q . K^T * scale) . V over positions first..pos with GQA (kv head = h / (heads / kv_heads)),
// first = max(0, pos - window + 1) with a sliding window, else 0, for each query row at its own position and sequence
// (common.cuh step buffer); KV cache F16 [sequences, ctx, kv_dim] per layer; softmax in FP32 with a running max (online
// softmax, flash-decoding splits for decode). q and out: [rows, heads * head_dim].
#include "common.cuh"

#define ATTN_TILE 128          // KV positions per tile (and per split in decode): one key per thread for the scores
#define ATTN_THREADS 128       // 4 warps
#define ATTN_MAX_HEAD_DIM 256  // each thread owns dims tid and tid + ATTN_THREADS

struct AttnSmem {
    float q[ATTN_MAX_HEAD_DIM];
    float p[ATTN_TILE];
    float red[32];
};

// Folds keys [t0, t1) into the running max m, sum l and accumulators acc (dims tid, tid + ATTN_THREADS).
// Scores: thread j takes key t0 + j whole (16-byte loads of its K row when rows are 16-byte aligned), so the keys of a
// tile are scored in parallel rather than one warp-reduction after another; then threads own output dims for p . V.
static __device__ void attn_tile(AttnSmem& s, const __half* __restrict__ K, const __half* __restrict__ V, int kv_dim, int kv_off,
                                 int head_dim, int t0, int t1, float scale, float& m, float& l, float acc[2]) {
    const int n = t1 - t0;
    const bool vec = head_dim % 8 == 0 && kv_dim % 8 == 0;
    for (int j = threadIdx.x; j < n; j += ATTN_THREADS) {
        const __half* k = K + (long long)(t0 + j) * kv_dim + kv_off;
        float dot = 0.0f;
        if (vec) {
            const uint4* k4 = reinterpret_cast<const uint4*>(k);
            for (int c = 0; c < head_dim / 8; c++) {
                const uint4 w = k4[c];
                const __half2* h = reinterpret_cast<const __half2*>(&w);
                const float* qd = s.q + 8 * c;
#pragma unroll
                for (int e = 0; e < 4; e++) {
                    const float2 f = __half22float2(h[e]);
                    dot = fmaf(qd[2 * e], f.x, dot);
                    dot = fmaf(qd[2 * e + 1], f.y, dot);
                }
            }
        } else {
            for (int d = 0; d < head_dim; d++) dot = fmaf(s.q[d], __half2float(k[d]), dot);
        }
        s.p[j] = dot * scale;
    }
    __syncthreads();
    float mx = -INFINITY;
    for (int j = threadIdx.x; j < n; j += ATTN_THREADS) mx = fmaxf(mx, s.p[j]);
    mx = block_reduce_max(mx, s.red);
    const float m_new = fmaxf(m, mx);
    const float corr = expf(m - m_new);  // 0 on the first tile (m = -inf)
    float psum = 0.0f;
    for (int j = threadIdx.x; j < n; j += ATTN_THREADS) {
        const float e = expf(s.p[j] - m_new);
        s.p[j] = e;
        psum += e;
    }
    psum = block_reduce_sum(psum, s.red);  // its barriers also publish s.p
    l = l * corr + psum;
#pragma unroll
    for (int i = 0; i < 2; i++) {
        const int d = threadIdx.x + i * ATTN_THREADS;
        if (d >= head_dim) break;
        float a = acc[i] * corr;
        const __half* v = V + (long long)t0 * kv_dim + kv_off + d;
#pragma unroll 8
        for (int j = 0; j < n; j++) a += s.p[j] * __half2float(v[(long long)j * kv_dim]);
        acc[i] = a;
    }
    m = m_new;
    __syncthreads();  // s.p and s.red are reused by the next tile
}

// First key a query sees when n_kv keys (positions 0..n_kv-1) precede it: the last `window` of them (window 0: all).
static __device__ __forceinline__ int attn_first_key(int n_kv, int window) { return window > 0 ? max(0, n_kv - window) : 0; }

// q is rounded to F16 as the CPU backends do before the F16 dot with K (ggml's vec_dot_type for the F16 cache).
static __device__ __forceinline__ void load_q(AttnSmem& s, const float* __restrict__ q, int head_dim) {
    for (int d = threadIdx.x; d < head_dim; d += ATTN_THREADS) s.q[d] = __half2float(__float2half_rn(q[d]));
    __syncthreads();
}

// Decode (few query rows, each of any sequence). grid = (heads, n_split, rows), n_split sized for the whole context so that
// one captured graph serves every position: split s of row r covers keys [max(s * TILE, first), min((s + 1) * TILE, pos + 1))
// of r's sequence and exits when that is empty (past pos, or wholly before the window).
// partial: [rows, heads, n_split, head_dim + 2] = unnormalised acc, running max, running sum.
extern "C" __global__ void __launch_bounds__(ATTN_THREADS) attention_decode_f32(
    const float* __restrict__ q, const __half* __restrict__ K, const __half* __restrict__ V, float* __restrict__ partial,
    const int* __restrict__ step, int heads, int kv_heads, int head_dim, int kv_dim, int ctx, float scale, int window) {
    __shared__ AttnSmem s;
    const int h = blockIdx.x, split = blockIdx.y, n_split = gridDim.y, row = blockIdx.z;
    const int n_kv = step_pos(step, row) + 1;
    const int t0 = max(split * ATTN_TILE, attn_first_key(n_kv, window));
    const int t1 = min((split + 1) * ATTN_TILE, n_kv);
    if (t0 >= t1) return;
    const int kv_off = (h / (heads / kv_heads)) * head_dim;
    const long long seq_off = (long long)step_seq(step, row) * ctx * kv_dim;
    const long long rh = (long long)row * heads + h;
    load_q(s, q + rh * head_dim, head_dim);
    float m = -INFINITY, l = 0.0f, acc[2] = {0.0f, 0.0f};
    attn_tile(s, K + seq_off, V + seq_off, kv_dim, kv_off, head_dim, t0, t1, scale, m, l, acc);
    float* out = partial + (rh * n_split + split) * (head_dim + 2);
    for (int i = 0; i < 2; i++) {
        const int d = threadIdx.x + i * ATTN_THREADS;
        if (d < head_dim) out[d] = acc[i];
    }
    if (threadIdx.x == 0) { out[head_dim] = m; out[head_dim + 1] = l; }
}

// Decode, second pass: grid = (heads, rows); merges the splits of row r that hold keys (first / TILE ..
// ceil((pos + 1) / TILE) - 1, the ones the first pass wrote); threads over dims.
extern "C" __global__ void __launch_bounds__(ATTN_THREADS) attention_combine_f32(
    const float* __restrict__ partial, float* __restrict__ out, const int* __restrict__ step, int head_dim, int n_split, int window) {
    const int h = blockIdx.x, row = blockIdx.y;
    const long long rh = (long long)row * gridDim.x + h;
    const int n_kv = step_pos(step, row) + 1;
    const int s_begin = attn_first_key(n_kv, window) / ATTN_TILE;
    const int s_end = min(n_split, (n_kv + ATTN_TILE - 1) / ATTN_TILE);
    const float* p = partial + rh * n_split * (head_dim + 2);
    float M = -INFINITY;
    for (int s = s_begin; s < s_end; s++) M = fmaxf(M, p[(long long)s * (head_dim + 2) + head_dim]);
    float L = 0.0f;
    for (int s = s_begin; s < s_end; s++) {
        const float* ps = p + (long long)s * (head_dim + 2);
        L += expf(ps[head_dim] - M) * ps[head_dim + 1];
    }
    for (int d = threadIdx.x; d < head_dim; d += blockDim.x) {
        float a = 0.0f;
        for (int s = s_begin; s < s_end; s++) {
            const float* ps = p + (long long)s * (head_dim + 2);
            a += expf(ps[head_dim] - M) * ps[d];
        }
        out[rh * head_dim + d] = a / L;
    }
}

// Prefill (any query rows, each of any sequence). grid = (heads, rows): one block per (head, row) walks the tiles of keys
// first..pos of the row's sequence.
extern "C" __global__ void __launch_bounds__(ATTN_THREADS) attention_prefill_f32(
    const float* __restrict__ q, const __half* __restrict__ K, const __half* __restrict__ V, float* __restrict__ out,
    const int* __restrict__ step, int heads, int kv_heads, int head_dim, int kv_dim, int ctx, float scale, int window) {
    __shared__ AttnSmem s;
    const int h = blockIdx.x, row = blockIdx.y;
    const int n_kv = step_pos(step, row) + 1;
    const int kv_off = (h / (heads / kv_heads)) * head_dim;
    const long long seq_off = (long long)step_seq(step, row) * ctx * kv_dim;
    const long long q_off = (long long)row * heads * head_dim + (long long)h * head_dim;
    load_q(s, q + q_off, head_dim);
    float m = -INFINITY, l = 0.0f, acc[2] = {0.0f, 0.0f};
    for (int t0 = attn_first_key(n_kv, window); t0 < n_kv; t0 += ATTN_TILE)
        attn_tile(s, K + seq_off, V + seq_off, kv_dim, kv_off, head_dim, t0, min(t0 + ATTN_TILE, n_kv), scale, m, l, acc);
    for (int i = 0; i < 2; i++) {
        const int d = threadIdx.x + i * ATTN_THREADS;
        if (d < head_dim) out[q_off + d] = acc[i] / l;
    }
}
