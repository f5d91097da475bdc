// Query heads against the F16 cache: s_t = (f16(q) · K_t) * scale, p = softmax(s) (FP32 exp, FP64 sum; the C library's
// expf: ggml's AVX-512 and AVX2 vector exps both moved LogitsVsLlamaCppTests' Q8_0 maximum from 6e-7 to 4e-3),
// out = sum_t f16(p_t) * V_t. This is llama.cpp's CPU path without flash attention: Q and the probabilities are
// converted to F16 for ggml_vec_dot_f16 against the F16 K and V caches (llama-graph.cpp build_attn_mha, ops.cpp soft_max).
namespace Minerva.Native.Backends.Cpu.Kernels;

internal static unsafe class Attention
{
    /// <summary>Scratch floats <see cref="Group"/> needs for <paramref name="heads"/> query heads.</summary>
    public static int GroupScratchFloats(int heads, int positions, int headDim) =>
        heads * (positions + headDim) + 2 * headDim;

    // Query heads sharing one KV head (GQA) run together: each K and V row is widened to F32 once and used by every head
    // (widening is exact, so each head's result does not depend on how many run together). q: [heads, headDim]
    // consecutive; k, v: first cached row of this KV head, position t at + t * kvStride  // [positions, kvStride] F16
    // output: [heads, headDim]; scratch: [GroupScratchFloats] = scores [heads, positions], f16(q) [heads, headDim], K row, V row.
    public static void Group(float* q, int heads, ushort* k, ushort* v, int kvStride, int positions, int headDim, float scale,
        float* output, float* scratch)
    {
        float* scores = scratch;
        float* q16 = scores + (long)heads * positions;
        float* kRow = q16 + (long)heads * headDim;
        float* vRow = kRow + headDim;
        new ReadOnlySpan<float>(q, heads * headDim).CopyTo(new Span<float>(q16, heads * headDim));
        for (int h = 0; h < heads; h++) HalfConvert.RoundToF16(q16 + h * headDim, headDim);

        for (int t = 0; t < positions; t++)
        {
            HalfConvert.F16ToF32(k + (long)t * kvStride, kRow, headDim);
            for (int h = 0; h < heads; h++)
                scores[(long)h * positions + t] = Dot.F32(kRow, q16 + h * headDim, headDim) * scale;
        }
        for (int h = 0; h < heads; h++)
        {
            float* s = scores + (long)h * positions;
            float max = float.NegativeInfinity;
            for (int t = 0; t < positions; t++) if (s[t] > max) max = s[t];
            double sum = 0;
            for (int t = 0; t < positions; t++)
            {
                float e = MathF.Exp(s[t] - max);
                s[t] = e;
                sum += e;
            }
            float inverse = (float)(1.0 / sum);
            for (int t = 0; t < positions; t++) s[t] *= inverse;
            HalfConvert.RoundToF16(s, positions);
        }

        new Span<float>(output, heads * headDim).Clear();
        for (int t = 0; t < positions; t++)
        {
            HalfConvert.F16ToF32(v + (long)t * kvStride, vRow, headDim);
            for (int h = 0; h < heads; h++)
                Axpy.F32(scores[(long)h * positions + t], vRow, output + h * headDim, headDim);
        }
    }

    /// <summary>Scalar reference of <see cref="Group"/> for one head, written from the definition. Never optimise.</summary>
    public static void HeadReference(float* q, ushort* k, ushort* v, int kvStride, int positions, int headDim, float scale, float* output)
    {
        var q16 = new float[headDim];
        for (int d = 0; d < headDim; d++) q16[d] = (float)(Half)q[d];
        var p = new float[positions];
        float max = float.NegativeInfinity;
        for (int t = 0; t < positions; t++)
        {
            float s = 0;
            for (int d = 0; d < headDim; d++) s += (float)BitConverter.UInt16BitsToHalf(k[(long)t * kvStride + d]) * q16[d];
            p[t] = s * scale;
            max = MathF.Max(max, p[t]);
        }
        double sum = 0;
        for (int t = 0; t < positions; t++) { p[t] = MathF.Exp(p[t] - max); sum += p[t]; }
        float inverse = (float)(1.0 / sum);
        for (int t = 0; t < positions; t++) p[t] = (float)(Half)(p[t] * inverse);
        for (int d = 0; d < headDim; d++)
        {
            float o = 0;
            for (int t = 0; t < positions; t++) o += p[t] * (float)BitConverter.UInt16BitsToHalf(v[(long)t * kvStride + d]);
            output[d] = o;
        }
    }
}
