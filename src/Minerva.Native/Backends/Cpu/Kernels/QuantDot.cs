// Quantized vec-dots by SIMD tier; the tier comes from the CPU kernels' one switch, SimdTier (MINERVA_SIMD).
using System.Runtime.Intrinsics.X86;
using Minerva.Native.Formats.Gguf;
using Minerva.Native.Quantization;

namespace Minerva.Native.Backends.Cpu.Kernels;

/// <summary>Chooses, once per process, the vec-dot tier; tests call the tier classes directly to force each.</summary>
public static class QuantDot
{
    /// <summary>The best tier this CPU supports.</summary>
    public static SimdLevel Available => SimdTier.Hardware;

    /// <summary>The tier in use: the one switch of the CPU kernels (<see cref="SimdTier.Current"/>).</summary>
    public static SimdLevel Tier => SimdTier.Current;

    internal static SimdLevel Parse(string? value, SimdLevel available)
    {
        SimdLevel wanted = value?.Trim().ToLowerInvariant() switch
        {
            "scalar" => SimdLevel.Scalar,
            "avx2" => SimdLevel.Avx2,
            "avx512" => SimdLevel.Avx512,
            _ => available,
        };
        return wanted > available ? available : wanted;
    }

    /// <summary>The fastest vec-dot for <paramref name="type"/> at <see cref="Tier"/>, or null where only the reference exists.</summary>
    public static VecDot? Best(GgmlType type) => ForTier(type, Tier);

    /// <summary>The vec-dot of <paramref name="type"/> at exactly <paramref name="tier"/> (null: the scalar reference is used).</summary>
    public static VecDot? ForTier(GgmlType type, SimdLevel tier) => tier switch
    {
        SimdLevel.Avx512 => QuantDotAvx512.For(type) ?? QuantDotAvx2.For(type),
        SimdLevel.Avx2 => QuantDotAvx2.For(type),
        _ => null,
    };

    /// <summary>The tier that <see cref="ForTier"/> actually serves for a type (AVX-512 falls back to AVX2 per type).</summary>
    public static SimdLevel ServedTier(GgmlType type, SimdLevel tier) => tier switch
    {
        SimdLevel.Avx512 when QuantDotAvx512.For(type) is not null => SimdLevel.Avx512,
        SimdLevel.Avx512 or SimdLevel.Avx2 when QuantDotAvx2.For(type) is not null => SimdLevel.Avx2,
        _ => SimdLevel.Scalar,
    };
}
