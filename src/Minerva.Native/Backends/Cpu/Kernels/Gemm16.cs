// y[t, r] = sum_b d_r(b) d_t(b) sum_i w_r(b, i) a_t(b, i) for 16 rows of a Repack16 weight and up to 4 tokens: int32
// lane r of each 512-bit vpmaddubsw/vpmaddwd is row r, the token's 4 quants are broadcast to every lane, so one weight
// vector serves 16 rows x 4 columns and each unpacked block serves every token of the tile (ggml's repack GEMM idea;
// .NET 10 has no 512-bit vpdpbusd, so u8 x s8 pairs go to int16 and then int32). Per (row, token) the arithmetic is the
// scalar reference's: the block's exact integer dot, then sumi * dx * dy (Q4_0) or sumi * (dx * dy) (Q8_0) added in
// block order, so every tile size and QuantTraits.VecDotReference agree bit for bit.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Minerva.Native.Quantization;
using Minerva.Native.Tensors;

namespace Minerva.Native.Backends.Cpu.Kernels;

internal static unsafe class Gemm16
{
    /// <summary>Tokens of one kernel call: each unpacked weight block is reused for all of them.</summary>
    public const int MaxTokens = 4;
    /// <summary>Bytes of one prepared activation block: qs[32] (s8), d (f32, the F16 scale widened), bias (i32).</summary>
    public const int ActivationBlockBytes = 40;

    public static bool IsSupported => Avx512BW.IsSupported && Avx512F.IsSupported;

    public static long ActivationRowBytes(int columns) => (long)columns / 32 * ActivationBlockBytes;

    /// <summary>Quantizes one activation row to Q8_0 and lays it out for Gemm16 (bias = -offset * sum of the block's
    /// quants): the reference's arithmetic per element (amax, d = amax / 127 through F16, x * (1 / d) rounded half away
    /// from zero) in 512-bit vectors, so the bytes equal <see cref="PrepareRowReference"/>'s.</summary>
    public static void PrepareRow(float* x, int columns, GgmlType weightType, byte* destination)
    {
        int nb = columns / 32, offset = Repack16.WeightOffset(weightType);
        for (int b = 0; b < nb; b++)
        {
            var x0 = Vector512.Load(x + 32 * b);
            var x1 = Vector512.Load(x + 32 * b + 16);
            float amax = MaxAcross(Vector512.Max(Vector512.Abs(x0), Vector512.Abs(x1)));
            float d = amax / 127;
            float id = d != 0 ? 1.0f / d : 0.0f;
            var scale = Vector512.Create(id);
            var q0 = RoundHalfAwayToInt(x0 * scale);
            var q1 = RoundHalfAwayToInt(x1 * scale);
            byte* dst = destination + b * ActivationBlockBytes;
            Avx512F.ConvertToVector128SByte(q0).Store((sbyte*)dst);
            Avx512F.ConvertToVector128SByte(q1).Store((sbyte*)dst + 16);
            *(float*)(dst + 32) = QuantMath.Fp16ToFp32(QuantMath.Fp32ToFp16(d));
            *(int*)(dst + 36) = -offset * Vector512.Sum(q0 + q1);
        }
    }

    /// <summary>The largest lane (no NaNs: activations are finite).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float MaxAcross(Vector512<float> v)
    {
        var m = Vector256.Max(v.GetLower(), v.GetUpper());
        var n = Vector128.Max(m.GetLower(), m.GetUpper());
        return MathF.Max(MathF.Max(n[0], n[1]), MathF.Max(n[2], n[3]));
    }

    /// <summary>MathF.Round(v, AwayFromZero) per lane, as int32 (|v| well inside 2^23): the truncation plus one where the
    /// dropped fraction (exact in fp32) is at least one half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> RoundHalfAwayToInt(Vector512<float> v)
    {
        var t = Vector512.Truncate(v);
        var up = Vector512.GreaterThanOrEqual(Vector512.Abs(v - t), Vector512.Create(0.5f));
        var step = Vector512.ConditionalSelect(Vector512.Create(-0f), v, Vector512.Create(1f)) & up;
        return Avx512F.ConvertToVector512Int32WithTruncation(t + step);
    }

    /// <summary>Scalar reference of <see cref="PrepareRow"/>: Q8_0's own quantizer (through <paramref name="q8Staging"/>,
    /// one Q8_0 row), then the layout. Never optimise.</summary>
    public static void PrepareRowReference(float* x, int columns, GgmlType weightType, byte* q8Staging, byte* destination)
    {
        int nb = columns / 32, offset = Repack16.WeightOffset(weightType);
        Quantization.Q8_0.Quantize(new ReadOnlySpan<float>(x, columns), new Span<byte>(q8Staging, nb * 34));
        for (int b = 0; b < nb; b++)
        {
            byte* src = q8Staging + b * 34, dst = destination + b * ActivationBlockBytes;
            Buffer.MemoryCopy(src + 2, dst, 32, 32);
            int sum = 0;
            for (int i = 0; i < 32; i++) sum += ((sbyte*)dst)[i];
            *(float*)(dst + 32) = QuantMath.Fp16ToFp32(*(ushort*)src);
            *(int*)(dst + 36) = -offset * sum;
        }
    }

    [SkipLocalsInit]
    internal static void Q4_0<T>(byte* w, int nb, byte* a, long aRow, float* output, long outStride) where T : struct, ITileCount
    {
        Vector512<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        var low = Vector512.Create((byte)0x0F);
        byte* a0 = a, a1 = a + aRow, a2 = a + 2 * aRow, a3 = a + 3 * aRow;
        for (int b = 0; b < nb; b++, w += 320)
        {
            if (T.Value == 1) Prefetch(w, 320);
            var d = Vector512.Load((float*)w);
            var p0 = Vector512.Load(w + 64); var p1 = Vector512.Load(w + 128);
            var p2 = Vector512.Load(w + 192); var p3 = Vector512.Load(w + 256);
            var w0 = p0 & low; var w1 = p1 & low; var w2 = p2 & low; var w3 = p3 & low;
            var w4 = (p0.AsUInt16() >>> 4).AsByte() & low; var w5 = (p1.AsUInt16() >>> 4).AsByte() & low;
            var w6 = (p2.AsUInt16() >>> 4).AsByte() & low; var w7 = (p3.AsUInt16() >>> 4).AsByte() & low;
            long o = (long)b * ActivationBlockBytes;
            acc0 = Q4Block(w0, w1, w2, w3, w4, w5, w6, w7, d, a0 + o, acc0);
            if (T.Value > 1)
            {
                acc1 = Q4Block(w0, w1, w2, w3, w4, w5, w6, w7, d, a1 + o, acc1);
                acc2 = Q4Block(w0, w1, w2, w3, w4, w5, w6, w7, d, a2 + o, acc2);
                acc3 = Q4Block(w0, w1, w2, w3, w4, w5, w6, w7, d, a3 + o, acc3);
            }
        }
        Store<T>(acc0, acc1, acc2, acc3, output, outStride);
    }

    [SkipLocalsInit]
    internal static void Q8_0<T>(byte* w, int nb, byte* a, long aRow, float* output, long outStride) where T : struct, ITileCount
    {
        Vector512<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        var low = Vector512.Create((byte)0x0F);
        byte* a0 = a, a1 = a + aRow, a2 = a + 2 * aRow, a3 = a + 3 * aRow;
        for (int b = 0; b < nb; b++, w += 576)
        {
            if (T.Value == 1) Prefetch(w, 576);
            var d = Vector512.Load((float*)w);
            var p0 = Vector512.Load(w + 64); var p1 = Vector512.Load(w + 128);
            var p2 = Vector512.Load(w + 192); var p3 = Vector512.Load(w + 256);
            var p4 = Vector512.Load(w + 320); var p5 = Vector512.Load(w + 384);
            var p6 = Vector512.Load(w + 448); var p7 = Vector512.Load(w + 512);
            // weight + 128 = 16 h + l: two u8 x s8 products that cannot saturate int16 (2 * 15 * 127 per pair, 8 pairs)
            var l0 = p0 & low; var l1 = p1 & low; var l2 = p2 & low; var l3 = p3 & low;
            var l4 = p4 & low; var l5 = p5 & low; var l6 = p6 & low; var l7 = p7 & low;
            var h0 = (p0.AsUInt16() >>> 4).AsByte() & low; var h1 = (p1.AsUInt16() >>> 4).AsByte() & low;
            var h2 = (p2.AsUInt16() >>> 4).AsByte() & low; var h3 = (p3.AsUInt16() >>> 4).AsByte() & low;
            var h4 = (p4.AsUInt16() >>> 4).AsByte() & low; var h5 = (p5.AsUInt16() >>> 4).AsByte() & low;
            var h6 = (p6.AsUInt16() >>> 4).AsByte() & low; var h7 = (p7.AsUInt16() >>> 4).AsByte() & low;
            long o = (long)b * ActivationBlockBytes;
            acc0 = Q8Block(l0, l1, l2, l3, l4, l5, l6, l7, h0, h1, h2, h3, h4, h5, h6, h7, d, a0 + o, acc0);
            if (T.Value > 1)
            {
                acc1 = Q8Block(l0, l1, l2, l3, l4, l5, l6, l7, h0, h1, h2, h3, h4, h5, h6, h7, d, a1 + o, acc1);
                acc2 = Q8Block(l0, l1, l2, l3, l4, l5, l6, l7, h0, h1, h2, h3, h4, h5, h6, h7, d, a2 + o, acc2);
                acc3 = Q8Block(l0, l1, l2, l3, l4, l5, l6, l7, h0, h1, h2, h3, h4, h5, h6, h7, d, a3 + o, acc3);
            }
        }
        Store<T>(acc0, acc1, acc2, acc3, output, outStride);
    }

    /// <summary>The tile's rows of 16 outputs: token t at output + t * outStride.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Store<T>(Vector512<float> acc0, Vector512<float> acc1, Vector512<float> acc2, Vector512<float> acc3, float* output, long outStride)
        where T : struct, ITileCount
    {
        acc0.Store(output);
        if (T.Value == 1) return;
        acc1.Store(output + outStride);
        acc2.Store(output + 2 * outStride);
        acc3.Store(output + 3 * outStride);
    }

    /// <summary>Bytes ahead of the block in use that one token asks for, into L2: decode streams the weights from memory
    /// once. With two runs of rows per thread (CpuBackend.MatMul), tg64 on the 2-core Zen 4, per-step A/B in one process:
    /// 6 KiB against 12 KiB Q8_0 +11 %, Q4_0, Q4_K_M and Q6_K +5 %; 4 KiB and 8 KiB were slower than 6 KiB, F16 indifferent
    /// (into L1 instead of L2, or no software prefetch, were slower in the earlier 64-row chunks).</summary>
    public const int PrefetchDistance = 6144;

    /// <summary>Prefetches (into L2) the <paramref name="bytes"/> that follow <paramref name="p"/> by <see cref="PrefetchDistance"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prefetch(byte* p, int bytes)
    {
        for (int o = 0; o < bytes; o += 64) Sse.Prefetch1(p + PrefetchDistance + o);
    }

    /// <summary>The 4 quants at <paramref name="y"/> in every int32 lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<sbyte> Quad(byte* y) => Vector512.Create(*(int*)y).AsSByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> Pairs(Vector512<byte> w, byte* y) => Avx512BW.MultiplyAddAdjacent(w, Quad(y));

    /// <summary>acc + (sumi * dx) * dy for one Q4_0 block of 16 rows; sumi = sum (nibble) y - 8 sum y, exact in int32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Q4Block(Vector512<byte> w0, Vector512<byte> w1, Vector512<byte> w2, Vector512<byte> w3,
        Vector512<byte> w4, Vector512<byte> w5, Vector512<byte> w6, Vector512<byte> w7, Vector512<float> d, byte* y, Vector512<float> acc)
    {
        // |pair| <= 2 * 15 * 127: eight of them stay inside int16
        var s = (Pairs(w0, y) + Pairs(w1, y + 4)) + (Pairs(w2, y + 8) + Pairs(w3, y + 12))
              + ((Pairs(w4, y + 16) + Pairs(w5, y + 20)) + (Pairs(w6, y + 24) + Pairs(w7, y + 28)));
        var sumi = Avx512BW.MultiplyAddAdjacent(s, Vector512.Create((short)1)) + Vector512.Create(*(int*)(y + 36));
        return acc + Avx512F.ConvertToVector512Single(sumi) * d * Vector512.Create(*(float*)(y + 32));
    }

    /// <summary>acc + sumi * (dx * dy) for one Q8_0 block of 16 rows; sumi = 16 (h · y) + (l · y) - 128 sum y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Q8Block(Vector512<byte> l0, Vector512<byte> l1, Vector512<byte> l2, Vector512<byte> l3,
        Vector512<byte> l4, Vector512<byte> l5, Vector512<byte> l6, Vector512<byte> l7,
        Vector512<byte> h0, Vector512<byte> h1, Vector512<byte> h2, Vector512<byte> h3,
        Vector512<byte> h4, Vector512<byte> h5, Vector512<byte> h6, Vector512<byte> h7, Vector512<float> d, byte* y, Vector512<float> acc)
    {
        var sl = (Pairs(l0, y) + Pairs(l1, y + 4)) + (Pairs(l2, y + 8) + Pairs(l3, y + 12))
               + ((Pairs(l4, y + 16) + Pairs(l5, y + 20)) + (Pairs(l6, y + 24) + Pairs(l7, y + 28)));
        var sh = (Pairs(h0, y) + Pairs(h1, y + 4)) + (Pairs(h2, y + 8) + Pairs(h3, y + 12))
               + ((Pairs(h4, y + 16) + Pairs(h5, y + 20)) + (Pairs(h6, y + 24) + Pairs(h7, y + 28)));
        var sumi = Avx512BW.MultiplyAddAdjacent(sh, Vector512.Create((short)16)) + Avx512BW.MultiplyAddAdjacent(sl, Vector512.Create((short)1))
                 + Vector512.Create(*(int*)(y + 36));
        return acc + Avx512F.ConvertToVector512Single(sumi) * (d * Vector512.Create(*(float*)(y + 32)));
    }
}
