// Sampler / argmax / plain get_rows checks for quant_selftest.cu: host references follow the rules stated in the
// header of kernels/sample.cu (sequential loops, double sums).
#pragma once

static int ref_argmax(const std::vector<float>& x) {
    float best = -INFINITY;
    int bi = 0x7fffffff;
    for (int i = 0; i < (int)x.size(); ++i)
        if (x[i] > best || (x[i] == best && i < bi)) { best = x[i]; bi = i; }
    return bi == 0x7fffffff ? 0 : bi;
}

static int ref_sample(const std::vector<float>& logits, float temp, int top_k, float top_p, float min_p, float u) {
    const int n = (int)logits.size();
    if (!(temp > 0.0f)) return ref_argmax(logits);
    std::vector<std::pair<float, int>> c(n);
    for (int i = 0; i < n; ++i) c[i] = {std::isnan(logits[i]) ? -INFINITY : logits[i], i};
    std::sort(c.begin(), c.end(), [](const std::pair<float, int>& a, const std::pair<float, int>& b) {
        return a.first > b.first || (a.first == b.first && a.second < b.second);
    });
    const int K = top_k > 0 ? std::min(top_k, n) : n, C = std::min(K, 1024);
    const float l0 = c[0].first;
    int kept = C;
    if (top_p < 1.0f) {
        double z = 0;
        for (int i = 0; i < K; ++i) z += std::exp((double)c[i].first - l0);
        double cum = 0;
        for (int i = 0; i < C; ++i) {
            cum += std::exp((double)c[i].first - l0) / z;
            if (cum >= top_p) { kept = i + 1; break; }
        }
    }
    if (min_p > 0.0f) {
        const float min_logit = l0 + std::log(min_p);
        int i = 1;
        for (; i < kept; ++i) if (c[i].first < min_logit) break;
        kept = i;
    }
    std::vector<double> w(kept);
    double total = 0;
    for (int i = 0; i < kept; ++i) total += (w[i] = std::exp((double)(c[i].first / temp) - (double)(l0 / temp)));
    const double target = std::min(std::max((double)u, 0.0), 0.99999994) * total;
    double run = 0;
    for (int i = 0; i < kept; ++i) {
        run += w[i];
        if (run >= target) return c[i].second;
    }
    return c[kept - 1].second;
}

static std::vector<float> random_logits(int n, float scale, bool integer_ties) {
    std::vector<float> v(n);
    for (auto& x : v) {
        const double u1 = (rng_next() >> 11) * (1.0 / 9007199254740992.0) + 1e-300, u2 = rng_unit();
        const float g = scale * (float)(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
        x = integer_ties ? std::round(g) : g;
    }
    return v;
}

static void check_argmax() {
    struct Case { int n; const char* what; };
    for (Case cs : {Case{5, "n=5"}, Case{100000, "n=100000 tie+NaN"}, Case{1, "n=1"}}) {
        auto x = random_logits(cs.n, 3.0f, false);
        if (cs.n > 70000) { x[70000] = 50.0f; x[30000] = 50.0f; x[10] = NAN; }
        float* d_x = to_device(x);
        int* d_o = to_device(std::vector<int>{-5});
        argmax_f32<<<1, 1024>>>(d_x, cs.n, d_o);
        CK(cudaGetLastError());
        const int got = to_host(d_o, 1)[0], want = ref_argmax(x);
        report("argmax_f32", cs.what, got == want, got == want ? 0.0 : 1.0);
        CK(cudaFree(d_x));
        CK(cudaFree(d_o));
    }
}

static void check_sample() {
    struct Case { int n; float temp; int top_k; float top_p, min_p; bool ties; const char* what; };
    const Case cases[] = {
        {32000, 0.8f, 40, 0.95f, 0.05f, false, "llama.cpp defaults"},
        {32000, 0.0f, 40, 0.95f, 0.05f, false, "temperature 0 = argmax"},
        {128256, 1.0f, 0, 0.9f, 0.0f, false, "top_k off, top_p 0.9"},
        {50000, 1.2f, 2000, 0.9f, 0.0f, false, "top_k 2000 > cap"},
        {32000, 1.0f, 0, 1.0f, 0.0f, false, "all off: 1024 cap"},
        {5000, 0.7f, 50, 0.8f, 0.02f, true, "integer logits (ties)"},
        {100, 1.0f, 0, 0.5f, 0.1f, false, "n=100 < block"},
        {1000, 1.0f, 1, 0.9f, 0.05f, false, "top_k 1"},
    };
    const float us[] = {0.0f, 0.1f, 0.37f, 0.5f, 0.73f, 0.999f};
    for (const Case& cs : cases) {
        auto x = random_logits(cs.n, cs.ties ? 2.0f : 3.0f, cs.ties);
        float* d_x = to_device(x);
        int* d_o = to_device(std::vector<int>{-5});
        float* d_u = to_device(std::vector<float>{0.0f});
        int bad = 0;
        for (float u : us) {
            CK(cudaMemcpy(d_u, &u, 4, cudaMemcpyHostToDevice));
            sample_topk_topp_f32<<<1, 1024>>>(d_x, cs.n, cs.temp, cs.top_k, cs.top_p, cs.min_p, d_u, d_o);
            CK(cudaGetLastError());
            const int got = to_host(d_o, 1)[0], want = ref_sample(x, cs.temp, cs.top_k, cs.top_p, cs.min_p, u);
            if (got != want) {
                ++bad;
                printf("     u=%.3f got %d want %d\n", u, got, want);
            }
        }
        report("sample_topk_topp_f32", cs.what, bad == 0, bad);
        CK(cudaFree(d_x));
        CK(cudaFree(d_o));
        CK(cudaFree(d_u));
    }
}

static float bf16_to_f(__nv_bfloat16 b) {
    uint16_t s;
    memcpy(&s, &b, 2);
    const uint32_t u = (uint32_t)s << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

template <typename T>
static void check_get_rows_plain(const char* name, get_rows_fn gr, T (*conv)(float), float (*back)(T)) {
    const int vocab = 9, ncols = 300, ntok = 2, gridy = 3;
    std::vector<T> table((size_t)vocab * ncols);
    for (auto& v : table) v = conv(rnd_uniform(-2.0f, 2.0f));
    const std::vector<int> step = {0, ntok, 8, 3};
    T* d_t = to_device(table);
    int* d_s = to_device(step);
    float* d_o = to_device(std::vector<float>((size_t)gridy * ncols, -777.0f));
    gr<<<dim3((ncols + 255) / 256, gridy), 256>>>(d_t, d_s, d_o, ncols);
    CK(cudaGetLastError());
    auto o = to_host(d_o, (size_t)gridy * ncols);
    bool ok = true;
    for (int r = 0; r < gridy; ++r)
        for (int c = 0; c < ncols; ++c) {
            const float want = r < ntok ? back(table[(size_t)step[2 + r] * ncols + c]) : -777.0f;
            if (o[(size_t)r * ncols + c] != want) ok = false;
        }
    report(name, "2 tokens, grid.y=3, exact", ok, ok ? 0.0 : 1.0);
    CK(cudaFree(d_t));
    CK(cudaFree(d_s));
    CK(cudaFree(d_o));
}

static float id_f(float f) { return f; }
static __nv_bfloat16 f_bf16(float f) { return __float2bfloat16_rn(f); }
