// y = x * (1 / sqrt(mean(x^2) + eps)) * w: squares in FP32 summed in FP64, then two FP32 products
// (ggml_compute_forward_rms_norm_f32 in ggml-cpu ops.cpp, followed by ggml_mul with the norm weight).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Minerva.Native.Simd;

namespace Minerva.Native.Backends.Cpu.Kernels;

internal readonly struct ScaleMulOp(float scale) : IBinaryOp
{
    private readonly float _scale = scale;
    public float Invoke(float x, float w) => x * _scale * w;
    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> w) => x * Vector256.Create(_scale) * w;
    public Vector512<float> Invoke(Vector512<float> x, Vector512<float> w) => x * Vector512.Create(_scale) * w;
}

internal static unsafe class RmsNorm
{
    /// <summary>y[0..n) = rms_norm(x) * w; y may alias x.</summary>
    public static void Run(float* x, float* w, float eps, float* y, int n)
    {
        float mean = (float)(SumOfSquares(x, n) / n);
        Binary.Run(new ScaleMulOp(1f / MathF.Sqrt(mean + eps)), x, w, y, n);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double SumOfSquares(float* x, int n)
    {
        int i = 0;
        double sum = 0;
        if (SimdSupport.Tier == SimdTier.Avx512)
        {
            Vector512<double> acc = default;
            for (; i <= n - 16; i += 16)
            {
                var v = Vector512.Load(x + i);
                var (lo, hi) = Vector512.Widen(v * v);
                acc += lo + hi;
            }
            sum = Vector512.Sum(acc);
        }
        else if (SimdSupport.Tier == SimdTier.Avx2)
        {
            Vector256<double> acc = default;
            for (; i <= n - 8; i += 8)
            {
                var v = Vector256.Load(x + i);
                var (lo, hi) = Vector256.Widen(v * v);
                acc += lo + hi;
            }
            sum = Vector256.Sum(acc);
        }
        for (; i < n; i++) sum += x[i] * x[i];
        return sum;
    }

    public static void Reference(float* x, float* w, float eps, float* y, int n)
    {
        double sum = 0;
        for (int i = 0; i < n; i++) sum += (double)(x[i] * x[i]);
        float mean = (float)(sum / n);
        float scale = 1f / MathF.Sqrt(mean + eps);
        for (int i = 0; i < n; i++) y[i] = x[i] * scale * w[i];
    }
}
