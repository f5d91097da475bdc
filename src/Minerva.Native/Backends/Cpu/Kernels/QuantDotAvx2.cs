// AVX2/FMA vec-dots (Vector256): integer products by maddubs + madd as ggml's arch/x86/quants.c, fp32 lane accumulation, one horizontal sum at the end.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Minerva.Native.Quantization;
using Minerva.Native.Tensors;
using static Minerva.Native.Quantization.QuantMath;

namespace Minerva.Native.Backends.Cpu.Kernels;

/// <summary>Vector256 tier. Results equal the scalar references up to fp32 summation order (tolerances in QuantDotTests).</summary>
internal static unsafe class QuantDotAvx2
{
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    public static VecDot? For(GgmlType type) => !IsSupported ? null : type switch
    {
        GgmlType.F32 => F32,
        GgmlType.F16 => F16,
        GgmlType.BF16 => BF16,
        GgmlType.Q4_0 => Q4_0,
        GgmlType.Q4_1 => Q4_1,
        GgmlType.Q5_0 => Q5_0,
        GgmlType.Q5_1 => Q5_1,
        GgmlType.Q8_0 => Q8_0,
        GgmlType.Q2_K => Q2_K,
        GgmlType.Q3_K => Q3_K,
        GgmlType.Q4_K => Q4_K,
        GgmlType.Q5_K => Q5_K,
        GgmlType.Q6_K => Q6_K,
        _ => null,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float HSum(Vector256<float> v) => Vector256.Sum(v);

    /// <summary>IEEE half to float for 8 lanes by bit arithmetic (exact for normals, subnormals, inf and NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> HalfToSingle(Vector128<ushort> h)
    {
        var w = Avx2.ConvertToVector256Int32(h).AsUInt32();
        var sign = (w & Vector256.Create(0x8000u)) << 16;
        var em = (w & Vector256.Create(0x7fffu)) << 13;
        var f = em.AsSingle() * Vector256.Create(BitConverter.Int32BitsToSingle(0x77800000)); // 2^112
        var infNan = Vector256.Equals(w & Vector256.Create(0x7c00u), Vector256.Create(0x7c00u));
        var bits = Vector256.ConditionalSelect(infNan, em | Vector256.Create(0x7f800000u), f.AsUInt32());
        return (bits | sign).AsSingle();
    }

    public static float F32(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n)
    {
        fixed (byte* pw = weights, pa = activations)
        {
            float* x = (float*)pw, y = (float*)pa;
            Vector256<float> a0 = default, a1 = default;
            int i = 0;
            for (; i + 16 <= n; i += 16)
            {
                a0 = Fma.MultiplyAdd(Avx.LoadVector256(x + i), Avx.LoadVector256(y + i), a0);
                a1 = Fma.MultiplyAdd(Avx.LoadVector256(x + i + 8), Avx.LoadVector256(y + i + 8), a1);
            }
            float sum = HSum(a0 + a1);
            for (; i < n; i++) sum += x[i] * y[i];
            return sum;
        }
    }

    public static float F16(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n)
    {
        fixed (byte* pw = weights, pa = activations)
        {
            ushort* x = (ushort*)pw, y = (ushort*)pa;
            Vector256<float> acc = default;
            int i = 0;
            for (; i + 8 <= n; i += 8)
                acc = Fma.MultiplyAdd(HalfToSingle(Sse2.LoadVector128(x + i)), HalfToSingle(Sse2.LoadVector128(y + i)), acc);
            float sum = HSum(acc);
            for (; i < n; i++) sum += Fp16ToFp32(x[i]) * Fp16ToFp32(y[i]);
            return sum;
        }
    }

    public static float BF16(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n)
    {
        fixed (byte* pw = weights, pa = activations)
        {
            ushort* x = (ushort*)pw, y = (ushort*)pa;
            Vector256<float> acc = default;
            int i = 0;
            for (; i + 8 <= n; i += 8)
            {
                var fx = (Avx2.ConvertToVector256Int32(Sse2.LoadVector128(x + i)) << 16).AsSingle();
                var fy = (Avx2.ConvertToVector256Int32(Sse2.LoadVector128(y + i)) << 16).AsSingle();
                acc = Fma.MultiplyAdd(fx, fy, acc);
            }
            float sum = HSum(acc);
            for (; i < n; i++) sum += Bf16ToFp32(x[i]) * Bf16ToFp32(y[i]);
            return sum;
        }
    }

    // The integer types are the one-token case of the tile kernels (QuantTile8, QuantTileK), so a batch and
    // token-by-token decoding agree bit for bit. Null (and never called) where the CPU lacks AVX2.
    private static readonly QuantTile? TileQ4_0 = QuantTile8.For(GgmlType.Q4_0), TileQ8_0 = QuantTile8.For(GgmlType.Q8_0),
        TileQ4_1 = QuantTile8.For(GgmlType.Q4_1), TileQ5_0 = QuantTile8.For(GgmlType.Q5_0), TileQ5_1 = QuantTile8.For(GgmlType.Q5_1),
        TileQ2_K = QuantTileK.For(GgmlType.Q2_K), TileQ3_K = QuantTileK.For(GgmlType.Q3_K), TileQ4_K = QuantTileK.For(GgmlType.Q4_K), TileQ5_K = QuantTileK.For(GgmlType.Q5_K), TileQ6_K = QuantTileK.For(GgmlType.Q6_K);

    public static float Q4_0(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n) => One(TileQ4_0!, weights, activations, n);
    public static float Q8_0(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n) => One(TileQ8_0!, weights, activations, n);
    public static float Q4_1(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n) => One(TileQ4_1!, weights, activations, n);
    public static float Q5_0(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n) => One(TileQ5_0!, weights, activations, n);
    public static float Q5_1(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n) => One(TileQ5_1!, weights, activations, n);
    public static float Q2_K(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n) => One(TileQ2_K!, weights, activations, n);
    public static float Q3_K(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n) => One(TileQ3_K!, weights, activations, n);
    public static float Q4_K(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n) => One(TileQ4_K!, weights, activations, n);
    public static float Q5_K(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n) => One(TileQ5_K!, weights, activations, n);
    public static float Q6_K(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n) => One(TileQ6_K!, weights, activations, n);

    private static float One(QuantTile tile, ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n)
    {
        float result;
        fixed (byte* pw = weights, pa = activations) tile(pw, pa, 0, 1, n, &result, 0);
        return result;
    }
}
