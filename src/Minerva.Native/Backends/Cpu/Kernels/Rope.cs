// RoPE: pair i of a head turns by theta_i = freqScale * (p * base^(-2i/d) / ff_i); cos/sin built like ggml_rope_cache_init
// (theta *= powf(base, -2/d) in FP32, divided by the Llama 3 freq factor ff_i when given, then cosf/sinf); pairs (2i, 2i+1)
// in ggml "norm" mode, (i, i+d/2) in "neox" mode.
using Minerva.Native.Tensors;

namespace Minerva.Native.Backends.Cpu.Kernels;

internal static unsafe class Rope
{
    /// <summary>cache[2i] = cos(theta_i), cache[2i+1] = sin(theta_i) for i in 0..headDim/2; freqFactors: [headDim/2] or null.  // [headDim]</summary>
    public static void BuildCache(int position, int headDim, float thetaBase, float freqScale, float* freqFactors, float* cache)
    {
        float thetaScale = MathF.Pow(thetaBase, -2.0f / headDim);
        float theta = position;
        for (int i0 = 0; i0 < headDim; i0 += 2)
        {
            float angle = freqScale * (freqFactors == null ? theta : theta / freqFactors[i0 / 2]);
            cache[i0] = MathF.Cos(angle);
            cache[i0 + 1] = MathF.Sin(angle);
            theta *= thetaScale;
        }
    }

    /// <summary>Rotates one head of <paramref name="headDim"/> values in place with a cache from <see cref="BuildCache"/>.</summary>
    public static void RotateHead(float* x, float* cache, int headDim, RopeLayout layout)
    {
        if (layout == RopeLayout.Interleaved)
        {
            for (int i0 = 0; i0 < headDim; i0 += 2)
            {
                float c = cache[i0], s = cache[i0 + 1];
                float x0 = x[i0], x1 = x[i0 + 1];
                x[i0] = x0 * c - x1 * s;
                x[i0 + 1] = x0 * s + x1 * c;
            }
        }
        else
        {
            int half = headDim / 2;
            for (int i0 = 0; i0 < headDim; i0 += 2)
            {
                float c = cache[i0], s = cache[i0 + 1];
                int a = i0 / 2, b = i0 / 2 + half;
                float x0 = x[a], x1 = x[b];
                x[a] = x0 * c - x1 * s;
                x[b] = x0 * s + x1 * c;
            }
        }
    }
}
