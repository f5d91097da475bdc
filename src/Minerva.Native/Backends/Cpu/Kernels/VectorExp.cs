// exp(x) in 16 fp32 lanes the way llama.cpp's CPU backend computes it with AVX-512 (ggml_v_expf in ggml-cpu vec.h, itself
// Arm's optimized-routines expf): n = round(x / ln 2) by the 1.5 * 2^23 trick, b = x - n ln 2 in two FMAs (ln 2 split
// in a high and a low part), a degree-5 polynomial in b, and vscalefps by n; |n| > 192 gives 0 or +inf. Max error ~1.5 ulp
// (MathF.Exp is correctly rounded more often; matching ggml's bits is the point: softmax and SiLU use it).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Minerva.Native.Backends.Cpu.Kernels;

internal static class VectorExp
{
    public static bool IsSupported => Avx512F.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var shift = Vector512.Create(12582912f);                                           // 0x1.8p23
        var z = Vector512.FusedMultiplyAdd(x, Vector512.Create(Bits(0x3fb8aa3b)), shift);  // 1 / ln 2
        var n = z - shift;
        var b = Vector512.FusedMultiplyAdd(-n, Vector512.Create(Bits(0x35bfbe8e)),         // ln 2, low part
                Vector512.FusedMultiplyAdd(-n, Vector512.Create(Bits(0x3f317200)), x));    // ln 2, high part
        var u = b * b;
        var j = Vector512.FusedMultiplyAdd(
            Vector512.FusedMultiplyAdd(
                Vector512.FusedMultiplyAdd(Vector512.Create(Bits(0x3c072010)), b, Vector512.Create(Bits(0x3d2b9f17))), u,
                Vector512.FusedMultiplyAdd(Vector512.Create(Bits(0x3e2aaf33)), b, Vector512.Create(Bits(0x3efffedb)))), u,
            Vector512.FusedMultiplyAdd(Vector512.Create(Bits(0x3f7ffff6)), b, Vector512<float>.One));
        var result = Avx512F.Scale(j, n);
        var outside = Vector512.GreaterThan(Vector512.Abs(n), Vector512.Create(192f));
        if (outside == Vector512<float>.Zero) return result;
        var limit = Vector512.ConditionalSelect(Vector512.LessThanOrEqual(n, Vector512<float>.Zero), Vector512<float>.Zero,
            Vector512.Create(float.PositiveInfinity));
        return Vector512.ConditionalSelect(outside, limit, result);
    }

    private static float Bits(uint bits) => BitConverter.UInt32BitsToSingle(bits);
}
