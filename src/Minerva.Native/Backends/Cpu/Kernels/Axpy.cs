// y[i] += a * w[i] with w in F32 or F16 widened to F32 (ggml_vec_mad_f32 / the V side of attention).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Minerva.Native.Simd;

namespace Minerva.Native.Backends.Cpu.Kernels;

internal static unsafe class Axpy
{
    public static void F16(float a, ushort* w, float* y, int n) => Run<F16Loader, ushort>(a, w, y, n);
    public static void F32(float a, float* w, float* y, int n) => Run<F32Loader, float>(a, w, y, n);

    /// <summary>Multiply then add (no fused rounding) in every tier, so the tiers agree bit for bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<TLoad, TElement>(float a, TElement* w, float* y, int n)
        where TLoad : IF32Loader<TElement> where TElement : unmanaged
    {
        int i = 0;
        if (SimdSupport.Tier == SimdTier.Avx512)
        {
            var va = Vector512.Create(a);
            for (; i <= n - 16; i += 16)
                (Vector512.Load(y + i) + va * TLoad.Load16(w + i)).Store(y + i);
        }
        else if (SimdSupport.Tier == SimdTier.Avx2)
        {
            var va = Vector256.Create(a);
            for (; i <= n - 8; i += 8)
                (Vector256.Load(y + i) + va * TLoad.Load8(w + i)).Store(y + i);
        }
        for (; i < n; i++) y[i] += a * TLoad.Load(w + i);
    }

    public static void ReferenceF16(float a, ushort* w, float* y, int n)
    {
        for (int i = 0; i < n; i++) y[i] += a * (float)BitConverter.UInt16BitsToHalf(w[i]);
    }
}
