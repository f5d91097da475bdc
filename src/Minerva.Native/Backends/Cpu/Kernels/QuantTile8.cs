// y[t] = sum_b d_w(b) * d_a(t, b) * sum_i q_i a(t)_i (+ m_w s_a): Q4_0/Q5_0/Q8_0 weights against Q8_0 activations and
// Q4_1/Q5_1 against Q8_1, for a tile of tokens,
// each weight block's |q| unpacked once and reused for every token (ggml's AVX2 mul_sum_i8_pairs_float: |x| times y with
// x's sign, in arch/x86/quants.c). One token is the vec-dot itself, so batched and token-by-token results are bit-identical.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Minerva.Native.Tensors;
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
    // activations are block_q8_0: d (f16) then 32 int8, or block_q8_1: d, s (f16) then 32 int8.
    private const int Q8Stride = 34, Q81Stride = 36;

    // F16 -> F32 of every half (256 KiB, ggml's ggml_table_f32_f16): one load instead of the bit arithmetic per scale
    private static readonly float* HalfTable = BuildHalfTable();

    private static float* BuildHalfTable()
    {
        var table = (float*)NativeMemory.AlignedAlloc(65536 * sizeof(float), 64);
        for (int h = 0; h < 65536; h++) table[h] = Fp16ToFp32((ushort)h);
        return table;
    }

    public static QuantTile? For(GgmlType type) =>
        !QuantTileK.IsSupported ? null : AvxVnni.IsSupported ? For<VnniQuads>(type) : For<Avx2Quads>(type);

    internal static QuantTile? For<TQuads>(GgmlType type) where TQuads : struct, IByteQuads => type switch
    {
        GgmlType.Q4_0 => Q4_0<TQuads>,
        GgmlType.Q5_0 => Q5_0<TQuads>,
        GgmlType.Q8_0 => Q8_0<TQuads>,
        GgmlType.Q4_1 => Q4_1<TQuads>,
        GgmlType.Q5_1 => Q5_1<TQuads>,
        _ => null,
    };

    public static void Q8_0<TQuads>(byte* w, byte* a, long aRowBytes, int tokens, int n, float* output, long outStride)
        where TQuads : struct, IByteQuads => Run<TQuads, Q8Block>(w, a, aRowBytes, tokens, n, output, outStride);

    public static void Q4_0<TQuads>(byte* w, byte* a, long aRowBytes, int tokens, int n, float* output, long outStride)
        where TQuads : struct, IByteQuads => Run<TQuads, Q4Block>(w, a, aRowBytes, tokens, n, output, outStride);

    public static void Q5_0<TQuads>(byte* w, byte* a, long aRowBytes, int tokens, int n, float* output, long outStride)
        where TQuads : struct, IByteQuads => Run<TQuads, Q5Block>(w, a, aRowBytes, tokens, n, output, outStride);

    public static void Q4_1<TQuads>(byte* w, byte* a, long aRowBytes, int tokens, int n, float* output, long outStride)
        where TQuads : struct, IByteQuads => RunMin<TQuads, Q4MinBlock>(w, a, aRowBytes, tokens, n, output, outStride);

    public static void Q5_1<TQuads>(byte* w, byte* a, long aRowBytes, int tokens, int n, float* output, long outStride)
        where TQuads : struct, IByteQuads => RunMin<TQuads, Q5MinBlock>(w, a, aRowBytes, tokens, n, output, outStride);

    /// <summary>Q4_1 / Q5_1 (w = d*q + m, q unsigned) against Q8_1 activations (d, s = d * sum y, qs): per block
    /// d_x d_y (q · y) into the vector accumulator and m_x s_y into a scalar one, in block order (ggml's AVX2 order).</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunMin<TQuads, TBlock>(byte* w, byte* a, long aRowBytes, int tokens, int n, float* output, long outStride)
        where TQuads : struct, IByteQuads where TBlock : struct, IQ8MinBlock
    {
        if ((uint)tokens > QuantTileK.MaxTokens) throw new ArgumentOutOfRangeException(nameof(tokens), tokens, $"at most {QuantTileK.MaxTokens} tokens per tile");
        var acc = stackalloc Vector256<float>[QuantTileK.MaxTokens];
        var mins = stackalloc float[QuantTileK.MaxTokens];
        for (int t = 0; t < tokens; t++) { acc[t] = default; mins[t] = 0; }
        int nb = n / 32, ib = 0;
        for (; ib + 4 <= nb; ib += 4)
        {
            byte* bx = w + ib * TBlock.Stride;
            if (tokens == 1) QuantTileK.PrefetchAhead(bx, 4 * TBlock.Stride);
            var q0 = TBlock.Quants(bx); var q1 = TBlock.Quants(bx + TBlock.Stride);
            var q2 = TBlock.Quants(bx + 2 * TBlock.Stride); var q3 = TBlock.Quants(bx + 3 * TBlock.Stride);
            for (int t = 0; t < tokens; t++)
            {
                byte* by = a + t * aRowBytes + ib * Q81Stride;
                var sum = acc[t];
                float m = mins[t];
                sum = MinBlock<TQuads>(q0, bx, by, sum, ref m);
                sum = MinBlock<TQuads>(q1, bx + TBlock.Stride, by + Q81Stride, sum, ref m);
                sum = MinBlock<TQuads>(q2, bx + 2 * TBlock.Stride, by + 2 * Q81Stride, sum, ref m);
                sum = MinBlock<TQuads>(q3, bx + 3 * TBlock.Stride, by + 3 * Q81Stride, sum, ref m);
                acc[t] = sum;
                mins[t] = m;
            }
        }
        for (; ib < nb; ib++)
        {
            byte* bx = w + ib * TBlock.Stride;
            var q = TBlock.Quants(bx);
            for (int t = 0; t < tokens; t++)
            {
                float m = mins[t];
                acc[t] = MinBlock<TQuads>(q, bx, a + t * aRowBytes + ib * Q81Stride, acc[t], ref m);
                mins[t] = m;
            }
        }
        for (int t = 0; t < tokens; t++) output[t * outStride] = Vector256.Sum(acc[t]) + mins[t];
    }

    /// <summary>One Q4_1/Q5_1 block (d, m at 0 and 2) against one block_q8_1 (d, s at 0 and 2, qs at 4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> MinBlock<TQuads>(Vector256<byte> q, byte* bx, byte* by, Vector256<float> acc, ref float mins)
        where TQuads : struct, IByteQuads
    {
        mins += HalfTable[*(ushort*)(bx + 2)] * HalfTable[*(ushort*)(by + 2)];
        var d = Vector256.Create(HalfTable[*(ushort*)bx] * HalfTable[*(ushort*)by]);
        return Fma.MultiplyAdd(d, Avx.ConvertToVector256Single(TQuads.Dot(q, Avx.LoadVector256((sbyte*)(by + 4)))), acc);
    }

    /// <summary>Four weight blocks are unpacked per step; per token the accumulator takes them one after another (fma per
    /// block, in block order: the same fp32 operations for any tile size).</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Run<TQuads, TBlock>(byte* w, byte* a, long aRowBytes, int tokens, int n, float* output, long outStride)
        where TQuads : struct, IByteQuads where TBlock : struct, IQ8Block
    {
        if ((uint)tokens > QuantTileK.MaxTokens) throw new ArgumentOutOfRangeException(nameof(tokens), tokens, $"at most {QuantTileK.MaxTokens} tokens per tile");
        var acc = stackalloc Vector256<float>[QuantTileK.MaxTokens];
        for (int t = 0; t < tokens; t++) acc[t] = default;
        int nb = n / 32, ib = 0;
        for (; ib + 4 <= nb; ib += 4)
        {
            byte* bx = w + ib * TBlock.Stride;
            if (tokens == 1) QuantTileK.PrefetchAhead(bx, 4 * TBlock.Stride);
            var q0 = TBlock.Quants(bx); var q1 = TBlock.Quants(bx + TBlock.Stride);
            var q2 = TBlock.Quants(bx + 2 * TBlock.Stride); var q3 = TBlock.Quants(bx + 3 * TBlock.Stride);
            var x0 = Avx2.Abs(q0); var x1 = Avx2.Abs(q1); var x2 = Avx2.Abs(q2); var x3 = Avx2.Abs(q3);
            float d0 = HalfTable[*(ushort*)bx], d1 = HalfTable[*(ushort*)(bx + TBlock.Stride)];
            float d2 = HalfTable[*(ushort*)(bx + 2 * TBlock.Stride)], d3 = HalfTable[*(ushort*)(bx + 3 * TBlock.Stride)];
            for (int t = 0; t < tokens; t++)
            {
                byte* by = a + t * aRowBytes + ib * Q8Stride;
                var sum = acc[t];
                sum = Block<TQuads>(x0, q0, d0, by, sum);
                sum = Block<TQuads>(x1, q1, d1, by + Q8Stride, sum);
                sum = Block<TQuads>(x2, q2, d2, by + 2 * Q8Stride, sum);
                sum = Block<TQuads>(x3, q3, d3, by + 3 * Q8Stride, sum);
                acc[t] = sum;
            }
        }
        for (; ib < nb; ib++)
        {
            byte* bx = w + ib * TBlock.Stride;
            var q = TBlock.Quants(bx);
            var x = Avx2.Abs(q);
            float d = HalfTable[*(ushort*)bx];
            for (int t = 0; t < tokens; t++) acc[t] = Block<TQuads>(x, q, d, a + t * aRowBytes + ib * Q8Stride, acc[t]);
        }
        for (int t = 0; t < tokens; t++) output[t * outStride] = Vector256.Sum(acc[t]);
    }

    /// <summary>16 bytes of nibbles as 32 values: low nibbles are elements 0..15, high nibbles 16..31.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<byte> Nibbles(byte* qs)
    {
        var t = Sse2.LoadVector128(qs);
        return Vector256.Create(t, (t.AsUInt16() >> 4).AsByte()) & Vector256.Create((byte)0x0F);
    }

    /// <summary>Bit j of qh as 16 in byte j, else 0 (ggml's bytes_from_bits_32).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<byte> FifthBits(uint qh)
    {
        // byte j takes byte j / 8 of qh, then tests bit j % 8
        var spread = Avx2.Shuffle(Vector256.Create(qh).AsByte(),
            Vector256.Create(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, (byte)3));
        var bit = Vector256.Create(0x8040201008040201UL).AsByte();
        return Vector256.Equals(spread & bit, bit) & Vector256.Create((byte)0x10);
    }

    /// <summary>acc + dx * dy * (q · y) for one 32-element block: |q| times y with q's sign (ggml's mul_sum_i8_pairs_float).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Block<TQuads>(Vector256<byte> ax, Vector256<sbyte> qx, float dx, byte* by, Vector256<float> acc)
        where TQuads : struct, IByteQuads
    {
        var sy = Avx2.Sign(Avx.LoadVector256((sbyte*)(by + 2)), qx);
        var d = Vector256.Create(dx * HalfTable[*(ushort*)by]);
        return Fma.MultiplyAdd(d, Avx.ConvertToVector256Single(TQuads.Dot(ax, sy)), acc);
    }
}

/// <summary>A 32-element weight block with an F16 scale first: its stride and its quants as signed bytes.</summary>
internal unsafe interface IQ8Block
{
    static abstract int Stride { get; }
    static abstract Vector256<sbyte> Quants(byte* block);
}

/// <summary>block_q8_0: d (f16), qs[32].</summary>
internal unsafe struct Q8Block : IQ8Block
{
    public static int Stride => 34;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> Quants(byte* block) => Avx.LoadVector256((sbyte*)(block + 2));
}

/// <summary>block_q4_0: d (f16), qs[16] nibbles (low = elements 0..15, high = 16..31), value = nibble - 8.</summary>
internal unsafe struct Q4Block : IQ8Block
{
    public static int Stride => 18;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> Quants(byte* block) => QuantTile8.Nibbles(block + 2).AsSByte() - Vector256.Create((sbyte)8);
}

/// <summary>block_q5_0: d (f16), qh (32 fifth bits, bit j for element j), qs[16] nibbles; value = nibble + 16 * bit - 16.</summary>
internal unsafe struct Q5Block : IQ8Block
{
    public static int Stride => 22;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> Quants(byte* block) =>
        (QuantTile8.Nibbles(block + 6) | QuantTile8.FifthBits(*(uint*)(block + 2))).AsSByte() - Vector256.Create((sbyte)16);
}

/// <summary>A 32-element block with an F16 scale and an F16 min first: its stride and its unsigned quants.</summary>
internal unsafe interface IQ8MinBlock
{
    static abstract int Stride { get; }
    static abstract Vector256<byte> Quants(byte* block);
}

/// <summary>block_q4_1: d, m (f16), qs[16] nibbles.</summary>
internal unsafe struct Q4MinBlock : IQ8MinBlock
{
    public static int Stride => 20;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Quants(byte* block) => QuantTile8.Nibbles(block + 4);
}

/// <summary>block_q5_1: d, m (f16), qh (32 fifth bits), qs[16] nibbles.</summary>
internal unsafe struct Q5MinBlock : IQ8MinBlock
{
    public static int Stride => 24;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Quants(byte* block) => QuantTile8.Nibbles(block + 8) | QuantTile8.FifthBits(*(uint*)(block + 4));
}
