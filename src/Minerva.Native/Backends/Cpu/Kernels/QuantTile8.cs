// y[t] = sum_b d_w(b) * d_a(t, b) * sum_i q_i a(t)_i: Q4_0 / Q8_0 weights against Q8_0 activations for a tile of tokens,
// each weight block's |q| unpacked once and reused for every token (ggml's AVX2 mul_sum_i8_pairs_float: |x| times y with
// x's sign, in arch/x86/quants.c). One token is the vec-dot itself, so batched and token-by-token results are bit-identical.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Minerva.Native.Formats.Gguf;
using static Minerva.Native.Quantization.QuantMath;

namespace Minerva.Native.Backends.Cpu.Kernels;

/// <summary>Sums of 4 adjacent u8 x i8 products into int32 lanes: AVX-VNNI vpdpbusd or AVX2 maddubs + madd (equal results
/// here: |x| ≤ 128 and |y| ≤ 127 keep maddubs' int16 pairs below saturation).</summary>
internal interface IByteQuads
{
    static abstract Vector256<int> Dot(Vector256<byte> x, Vector256<sbyte> y);
}

internal struct VnniQuads : IByteQuads
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Dot(Vector256<byte> x, Vector256<sbyte> y) => AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, x, y);
}

internal struct Avx2Quads : IByteQuads
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Dot(Vector256<byte> x, Vector256<sbyte> y) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, y), Vector256.Create((short)1));
}

internal static unsafe class QuantTile8
{
    // block_q8_0: d (f16) then 32 int8; block_q4_0: d (f16) then 16 bytes of nibbles (low = elements 0..15).
    private const int Q8Stride = 34, Q4Stride = 18;

    public static QuantTile? For(GgmlType type) =>
        !QuantTileK.IsSupported ? null : AvxVnni.IsSupported ? For<VnniQuads>(type) : For<Avx2Quads>(type);

    internal static QuantTile? For<TQuads>(GgmlType type) where TQuads : struct, IByteQuads => type switch
    {
        GgmlType.Q4_0 => Q4_0<TQuads>,
        GgmlType.Q8_0 => Q8_0<TQuads>,
        _ => null,
    };

    [SkipLocalsInit]
    public static void Q8_0<TQuads>(byte* w, byte* a, long aRowBytes, int tokens, int n, float* output, long outStride)
        where TQuads : struct, IByteQuads
    {
        if ((uint)tokens > QuantTileK.MaxTokens) throw new ArgumentOutOfRangeException(nameof(tokens), tokens, $"at most {QuantTileK.MaxTokens} tokens per tile");
        var acc = stackalloc Vector256<float>[QuantTileK.MaxTokens];
        for (int t = 0; t < tokens; t++) acc[t] = default;
        int nb = n / 32;
        for (int ib = 0; ib < nb; ib++)
        {
            byte* bx = w + ib * Q8Stride;
            if (tokens == 1) QuantTileK.PrefetchAhead(bx, Q8Stride);
            float dx = Fp16ToFp32(*(ushort*)bx);
            var qx = Avx.LoadVector256((sbyte*)(bx + 2));
            Tokens<TQuads>(Avx2.Abs(qx), qx, dx, a + ib * Q8Stride, aRowBytes, tokens, acc);
        }
        for (int t = 0; t < tokens; t++) output[t * outStride] = Vector256.Sum(acc[t]);
    }

    [SkipLocalsInit]
    public static void Q4_0<TQuads>(byte* w, byte* a, long aRowBytes, int tokens, int n, float* output, long outStride)
        where TQuads : struct, IByteQuads
    {
        if ((uint)tokens > QuantTileK.MaxTokens) throw new ArgumentOutOfRangeException(nameof(tokens), tokens, $"at most {QuantTileK.MaxTokens} tokens per tile");
        var acc = stackalloc Vector256<float>[QuantTileK.MaxTokens];
        for (int t = 0; t < tokens; t++) acc[t] = default;
        var m4 = Vector256.Create((byte)0x0F);
        var eight = Vector256.Create((sbyte)8);
        int nb = n / 32;
        for (int ib = 0; ib < nb; ib++)
        {
            byte* bx = w + ib * Q4Stride;
            if (tokens == 1) QuantTileK.PrefetchAhead(bx, Q4Stride);
            float dx = Fp16ToFp32(*(ushort*)bx);
            var t16 = Sse2.LoadVector128(bx + 2);
            var qx = (Vector256.Create(t16, (t16.AsUInt16() >> 4).AsByte()) & m4).AsSByte() - eight;
            Tokens<TQuads>(Avx2.Abs(qx), qx, dx, a + ib * Q8Stride, aRowBytes, tokens, acc);
        }
        for (int t = 0; t < tokens; t++) output[t * outStride] = Vector256.Sum(acc[t]);
    }

    /// <summary>One 32-element weight block (|q| and q for its sign, scale dx) against the block of every token.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tokens<TQuads>(Vector256<byte> ax, Vector256<sbyte> qx, float dx, byte* a, long aRowBytes, int tokens, Vector256<float>* acc)
        where TQuads : struct, IByteQuads
    {
        for (int t = 0; t < tokens; t++)
        {
            byte* by = a + t * aRowBytes;
            var sy = Avx2.Sign(Avx.LoadVector256((sbyte*)(by + 2)), qx);
            var d = Vector256.Create(dx * Fp16ToFp32(*(ushort*)by));
            acc[t] = Fma.MultiplyAdd(d, Avx.ConvertToVector256Single(TQuads.Dot(ax, sy)), acc[t]);
        }
    }
}
