// dot(w, x) = sum_i w[i] * x[i] with w in F32, F16 or BF16 widened to F32 and FP32 accumulation
// (ggml_vec_dot_f32 / _f16 / _bf16 in ggml-cpu vec.cpp; the caller rounds x to F16/BF16 first, as ggml converts src1).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Minerva.Native.Simd;

namespace Minerva.Native.Backends.Cpu.Kernels;

/// <summary>Loads elements of one storage type as F32: a scalar, 8 lanes (AVX2) or 16 lanes (AVX-512).</summary>
internal unsafe interface IF32Loader<TElement> where TElement : unmanaged
{
    static abstract float Load(TElement* p);
    static abstract Vector256<float> Load8(TElement* p);
    static abstract Vector512<float> Load16(TElement* p);
}

internal unsafe struct F32Loader : IF32Loader<float>
{
    public static float Load(float* p) => *p;
    public static Vector256<float> Load8(float* p) => Vector256.Load(p);
    public static Vector512<float> Load16(float* p) => Vector512.Load(p);
}

internal unsafe struct F16Loader : IF32Loader<ushort>
{
    public static float Load(ushort* p) => HalfConvert.F16ToF32(*p);
    public static Vector256<float> Load8(ushort* p) => HalfConvert.LoadF16x8(p);
    public static Vector512<float> Load16(ushort* p) => HalfConvert.LoadF16x16(p);
}

internal unsafe struct BF16Loader : IF32Loader<ushort>
{
    public static float Load(ushort* p) => HalfConvert.BF16ToF32(*p);
    public static Vector256<float> Load8(ushort* p) => HalfConvert.LoadBF16x8(p);
    public static Vector512<float> Load16(ushort* p) => HalfConvert.LoadBF16x16(p);
}

internal static unsafe class Dot
{
    public static float F32(float* w, float* x, int n) => Run<F32Loader, float>(w, x, n);
    public static float F16(ushort* w, float* x, int n) => Run<F16Loader, ushort>(w, x, n);
    public static float BF16(ushort* w, float* x, int n) => Run<BF16Loader, ushort>(w, x, n);

    /// <summary>The one dot driver: four vector accumulators, then single vectors, then a scalar remainder.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Run<TLoad, TElement>(TElement* w, float* x, int n)
        where TLoad : IF32Loader<TElement> where TElement : unmanaged
    {
        int i = 0;
        float sum = 0;
        if (SimdSupport.Tier == SimdTier.Avx512 && n >= 16)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i <= n - 64; i += 64)
            {
                a0 = Vector512.FusedMultiplyAdd(TLoad.Load16(w + i), Vector512.Load(x + i), a0);
                a1 = Vector512.FusedMultiplyAdd(TLoad.Load16(w + i + 16), Vector512.Load(x + i + 16), a1);
                a2 = Vector512.FusedMultiplyAdd(TLoad.Load16(w + i + 32), Vector512.Load(x + i + 32), a2);
                a3 = Vector512.FusedMultiplyAdd(TLoad.Load16(w + i + 48), Vector512.Load(x + i + 48), a3);
            }
            for (; i <= n - 16; i += 16)
                a0 = Vector512.FusedMultiplyAdd(TLoad.Load16(w + i), Vector512.Load(x + i), a0);
            sum = Vector512.Sum((a0 + a1) + (a2 + a3));
        }
        else if (SimdSupport.Tier >= SimdTier.Avx2 && n >= 8)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i <= n - 32; i += 32)
            {
                a0 = Vector256.FusedMultiplyAdd(TLoad.Load8(w + i), Vector256.Load(x + i), a0);
                a1 = Vector256.FusedMultiplyAdd(TLoad.Load8(w + i + 8), Vector256.Load(x + i + 8), a1);
                a2 = Vector256.FusedMultiplyAdd(TLoad.Load8(w + i + 16), Vector256.Load(x + i + 16), a2);
                a3 = Vector256.FusedMultiplyAdd(TLoad.Load8(w + i + 24), Vector256.Load(x + i + 24), a3);
            }
            for (; i <= n - 8; i += 8)
                a0 = Vector256.FusedMultiplyAdd(TLoad.Load8(w + i), Vector256.Load(x + i), a0);
            sum = Vector256.Sum((a0 + a1) + (a2 + a3));
        }
        for (; i < n; i++) sum += TLoad.Load(w + i) * x[i];
        return sum;
    }
}

/// <summary>Scalar references of <see cref="Dot"/>: one sequential FP32 sum. Never optimise.</summary>
internal static unsafe class DotReference
{
    public static float F32(float* w, float* x, int n)
    {
        float sum = 0;
        for (int i = 0; i < n; i++) sum += w[i] * x[i];
        return sum;
    }

    public static float F16(ushort* w, float* x, int n)
    {
        float sum = 0;
        for (int i = 0; i < n; i++) sum += (float)BitConverter.UInt16BitsToHalf(w[i]) * x[i];
        return sum;
    }

    public static float BF16(ushort* w, float* x, int n)
    {
        float sum = 0;
        for (int i = 0; i < n; i++) sum += BitConverter.UInt32BitsToSingle((uint)w[i] << 16) * x[i];
        return sum;
    }
}
