// The quantized vec-dot of a type at the SIMD tier in use (SimdSupport.Tier) or at a forced tier.
using Minerva.Native.Simd;
using Minerva.Native.Quantization;
using Minerva.Native.Tensors;

namespace Minerva.Native.Backends.Cpu.Kernels;

/// <summary>The fastest vec-dot of a type at a tier; tests call the tier classes directly to force each.</summary>
internal static class QuantDot
{
    /// <summary>The fastest vec-dot for <paramref name="type"/> at <see cref="SimdSupport.Tier"/>, or null where only the reference exists.</summary>
    public static VecDot? Best(GgmlType type) => ForTier(type, SimdSupport.Tier);

    /// <summary>The vec-dot of <paramref name="type"/> at exactly <paramref name="tier"/> (null: the scalar reference is used).</summary>
    public static VecDot? ForTier(GgmlType type, SimdTier tier) => tier switch
    {
        SimdTier.Avx512 => QuantDotAvx512.For(type) ?? QuantDotAvx2.For(type),
        SimdTier.Avx2 => QuantDotAvx2.For(type),
        _ => null,
    };

    /// <summary>The tier that <see cref="ForTier"/> actually serves for a type (AVX-512 falls back to AVX2 per type).</summary>
    public static SimdTier ServedTier(GgmlType type, SimdTier tier) => tier switch
    {
        SimdTier.Avx512 when QuantDotAvx512.For(type) is not null => SimdTier.Avx512,
        SimdTier.Avx512 or SimdTier.Avx2 when QuantDotAvx2.For(type) is not null => SimdTier.Avx2,
        _ => SimdTier.Scalar,
    };
}
