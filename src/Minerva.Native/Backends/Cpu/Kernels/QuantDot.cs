// Tier switch for the quantized vec-dots: MINERVA_SIMD=scalar|avx2|avx512 read once, default the best the CPU has (DESIGN.md rule 7).
using System.Runtime.Intrinsics.X86;
using Minerva.Native.Formats.Gguf;
using Minerva.Native.Quantization;

namespace Minerva.Native.Backends.Cpu.Kernels;

/// <summary>SIMD width a kernel runs at.</summary>
public enum SimdTier { Scalar = 0, Avx2 = 1, Avx512 = 2 }

/// <summary>Chooses, once per process, the vec-dot tier; tests call the tier classes directly to force each.</summary>
public static class QuantDot
{
    /// <summary>The best tier this CPU supports.</summary>
    public static SimdTier Available { get; } =
        Avx512F.IsSupported && Avx512BW.IsSupported && Avx2.IsSupported && Fma.IsSupported ? SimdTier.Avx512
        : Avx2.IsSupported && Fma.IsSupported ? SimdTier.Avx2
        : SimdTier.Scalar;

    /// <summary>The tier in use: MINERVA_SIMD capped at <see cref="Available"/>.</summary>
    public static SimdTier Tier { get; } = Parse(Environment.GetEnvironmentVariable("MINERVA_SIMD"), Available);

    internal static SimdTier Parse(string? value, SimdTier available)
    {
        SimdTier wanted = value?.Trim().ToLowerInvariant() switch
        {
            "scalar" => SimdTier.Scalar,
            "avx2" => SimdTier.Avx2,
            "avx512" => SimdTier.Avx512,
            _ => available,
        };
        return wanted > available ? available : wanted;
    }

    /// <summary>The fastest vec-dot for <paramref name="type"/> at <see cref="Tier"/>, or null where only the reference exists.</summary>
    public static VecDot? Best(GgmlType type) => ForTier(type, Tier);

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
