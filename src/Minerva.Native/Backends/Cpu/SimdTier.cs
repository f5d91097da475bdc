// The SIMD tier every CPU kernel runs at: Vector512 (AVX-512F) -> Vector256 (AVX2 + FMA) -> scalar, read once per process.
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Minerva.Native.Backends.Cpu;

/// <summary>The widest vector the CPU kernels use.</summary>
public enum SimdLevel
{
    Scalar,
    Avx2,
    Avx512,
}

/// <summary>
/// The one tier switch of the CPU kernels. The hardware decides the best tier; the environment variable
/// <c>MINERVA_SIMD=scalar|avx2|avx512</c> may lower it (never raise it above what the hardware and the runtime allow,
/// so <c>DOTNET_EnableAVX512=0</c> (.NET 10; <c>DOTNET_EnableAVX512F=0</c> before) also caps it at AVX2).
/// </summary>
public static class SimdTier
{
    public const string EnvironmentVariable = "MINERVA_SIMD";

    /// <summary>The tier of this process (a static readonly field, so the JIT folds the tier tests away).</summary>
    public static readonly SimdLevel Current = Select(Environment.GetEnvironmentVariable(EnvironmentVariable));

    public static SimdLevel Hardware
    {
        get
        {
            if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported && Avx512BW.IsSupported && Fma.IsSupported) return SimdLevel.Avx512;
            if (Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported) return SimdLevel.Avx2;
            return SimdLevel.Scalar;
        }
    }

    public static string Name(SimdLevel level) => level switch
    {
        SimdLevel.Avx512 => "avx512",
        SimdLevel.Avx2 => "avx2",
        _ => "scalar",
    };

    internal static SimdLevel Select(string? requested)
    {
        var best = Hardware;
        SimdLevel? wanted = requested?.Trim().ToLowerInvariant() switch
        {
            null or "" => null,
            "scalar" => SimdLevel.Scalar,
            "avx2" => SimdLevel.Avx2,
            "avx512" => SimdLevel.Avx512,
            _ => throw new ArgumentException($"{EnvironmentVariable}={requested}: expected scalar, avx2 or avx512"),
        };
        return wanted is { } w && w < best ? w : best;
    }
}
