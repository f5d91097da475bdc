// The SIMD width a CPU kernel runs at: the best this CPU has, capped by MINERVA_SIMD=scalar|avx2|avx512 (read once).
// Below Quantization and the CPU backend alike, so both choose their tier from one switch (DESIGN.md rule 7).
using System.Runtime.Intrinsics.X86;

namespace Minerva.Native.Simd;

/// <summary>SIMD width a kernel runs at.</summary>
public enum SimdTier { Scalar = 0, Avx2 = 1, Avx512 = 2 }

/// <summary>Chooses, once per process, the tier every SIMD kernel runs at; tests call the tier classes directly to force each.</summary>
internal static class SimdSupport
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
}
