// y[t, r] = sum over super-blocks of d_t (d_r sumi - dmin_r summ) (Q4_K) or d_t d_r (sumi - 32 sumy) (Q6_K) for 16 rows of
// a Repack16K weight and up to 4 tokens of Q8_K activations: each sub-block's quants are unpacked once per tile, u8 x s8
// pairs go through vpmaddubsw into int16 and vpmaddwd multiplies them by the row's sub-block scale into int32, so a
// super-block's integer sum is exact (ggml's scalar reference instead scales 8 partial lanes in fp32: results agree to
// rounding, and every tile size gives the same bits, so a batch and token-by-token decoding agree).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Minerva.Native.Quantization;
using Minerva.Native.Quantization.KQuants;
using Minerva.Native.Tensors;

namespace Minerva.Native.Backends.Cpu.Kernels;

internal static unsafe class Gemm16K
{
    /// <summary>Bytes of one prepared activation super-block: qs[256] (s8), d (f32), 16 int32 sums (below).</summary>
    public const int ActivationBlockBytes = 324;

    public static long ActivationRowBytes(int columns) => (long)columns / 256 * ActivationBlockBytes;

    /// <summary>Quantizes one row to Q8_K and adds the sums Gemm16K needs (Q4_K: the 32-column sums in int16 pairs (2i,
    /// 2i + 1); Q6_K: the 16-column sums): Q8_K's arithmetic per element (the first element of largest magnitude sets
    /// iscale = -127 / max, quants min(127, nearest_int(iscale * x)) by the same 1.5 * 2^23 addition) in 512-bit vectors,
    /// so the bytes equal <see cref="PrepareRowReference"/>'s.</summary>
    public static void PrepareRow(float* x, int columns, GgmlType weightType, byte* destination)
    {
        int nb = columns / 256;
        var magic = Vector512.Create(12582912f);
        var mantissa = Vector512.Create(0x007fffff);
        var bias = Vector512.Create(0x00400000);
        var top = Vector512.Create(127);
        int* sums16 = stackalloc int[16];
        for (int b = 0; b < nb; b++)
        {
            float* xb = x + 256 * b;
            byte* dst = destination + b * ActivationBlockBytes;
            int* sums = (int*)(dst + 260);
            var m = Vector512.Abs(Vector512.Load(xb));
            for (int i = 1; i < 16; i++) m = Vector512.Max(m, Vector512.Abs(Vector512.Load(xb + 16 * i)));
            float amax = Gemm16.MaxAcross(m);
            if (amax == 0)
            {
                new Span<byte>(dst, ActivationBlockBytes).Clear();
                continue;
            }
            int first = 0;
            while (first < 255 && MathF.Abs(xb[first]) != amax) first++;
            float iscale = -127f / xb[first];
            var scale = Vector512.Create(iscale);
            for (int i = 0; i < 16; i++)
            {
                var v = (Vector512.Load(xb + 16 * i) * scale + magic).AsInt32();
                var q = Vector512.Min(top, (v & mantissa) - bias);
                Avx512F.ConvertToVector128SByte(q).Store((sbyte*)dst + 16 * i);
                sums16[i] = Vector512.Sum(q);
            }
            *(float*)(dst + 256) = 1 / iscale;
            for (int j = 0; j < 16; j++)
                sums[j] = weightType == GgmlType.Q4_K
                    ? j < 4 ? (ushort)(short)(sums16[4 * j] + sums16[4 * j + 1]) | (sums16[4 * j + 2] + sums16[4 * j + 3]) << 16 : 0
                    : (ushort)(short)sums16[j];
        }
    }

    /// <summary>Scalar reference of <see cref="PrepareRow"/>: Q8_K's own quantizer (through <paramref name="q8kStaging"/>,
    /// one Q8_K row), then the sums. Never optimise.</summary>
    public static void PrepareRowReference(float* x, int columns, GgmlType weightType, byte* q8kStaging, byte* destination)
    {
        int nb = columns / 256;
        Q8_K.Quantize(new ReadOnlySpan<float>(x, columns), new Span<byte>(q8kStaging, nb * 292));
        for (int b = 0; b < nb; b++)
        {
            byte* src = q8kStaging + b * 292, dst = destination + b * ActivationBlockBytes;
            short* bsums = (short*)(src + 260);
            Buffer.MemoryCopy(src + 4, dst, 256, 256);
            *(float*)(dst + 256) = *(float*)src;
            int* sums = (int*)(dst + 260);
            for (int j = 0; j < 16; j++)
                sums[j] = weightType == GgmlType.Q4_K
                    ? j < 4 ? (ushort)(short)(bsums[4 * j] + bsums[4 * j + 1]) | (bsums[4 * j + 2] + bsums[4 * j + 3]) << 16 : 0
                    : (ushort)bsums[j];
        }
    }

    [SkipLocalsInit]
    internal static void Q4K<T>(byte* w, int nb, byte* a, long aRow, float* output, long outStride) where T : struct, ITileCount
    {
        Vector512<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        var low = Vector512.Create((byte)0x0F);
        for (int b = 0; b < nb; b++, w += Repack16K.Q4KBlockBytes)
        {
            if (T.Value == 1) Gemm16.Prefetch(w, Repack16K.Q4KBlockBytes);
            byte* y0 = a + (long)b * ActivationBlockBytes, y1 = y0 + aRow, y2 = y1 + aRow, y3 = y2 + aRow;
            Vector512<int> i0 = default, i1 = default, i2 = default, i3 = default;
            for (int j = 0; j < 8; j++)
            {
                var sc = Avx512BW.ConvertToVector512Int16(Vector256.Load(w + 128 + 32 * j));
                byte* p = w + 512 + (j >> 1) * 512;
                int shift = 4 * (j & 1);
                var w0 = (Vector512.Load(p).AsUInt16() >>> shift).AsByte() & low;
                var w1 = (Vector512.Load(p + 64).AsUInt16() >>> shift).AsByte() & low;
                var w2 = (Vector512.Load(p + 128).AsUInt16() >>> shift).AsByte() & low;
                var w3 = (Vector512.Load(p + 192).AsUInt16() >>> shift).AsByte() & low;
                var w4 = (Vector512.Load(p + 256).AsUInt16() >>> shift).AsByte() & low;
                var w5 = (Vector512.Load(p + 320).AsUInt16() >>> shift).AsByte() & low;
                var w6 = (Vector512.Load(p + 384).AsUInt16() >>> shift).AsByte() & low;
                var w7 = (Vector512.Load(p + 448).AsUInt16() >>> shift).AsByte() & low;
                int o = 32 * j;
                i0 += Avx512BW.MultiplyAddAdjacent(Sub8(w0, w1, w2, w3, w4, w5, w6, w7, y0 + o), sc);
                if (T.Value > 1)
                {
                    i1 += Avx512BW.MultiplyAddAdjacent(Sub8(w0, w1, w2, w3, w4, w5, w6, w7, y1 + o), sc);
                    i2 += Avx512BW.MultiplyAddAdjacent(Sub8(w0, w1, w2, w3, w4, w5, w6, w7, y2 + o), sc);
                    i3 += Avx512BW.MultiplyAddAdjacent(Sub8(w0, w1, w2, w3, w4, w5, w6, w7, y3 + o), sc);
                }
            }
            var d = Vector512.Load((float*)w);
            var dmin = Vector512.Load((float*)(w + 64));
            var m0 = Avx512BW.ConvertToVector512Int16(Vector256.Load(w + 384));
            var m1 = Avx512BW.ConvertToVector512Int16(Vector256.Load(w + 416));
            var m2 = Avx512BW.ConvertToVector512Int16(Vector256.Load(w + 448));
            var m3 = Avx512BW.ConvertToVector512Int16(Vector256.Load(w + 480));
            acc0 = Q4KBlock(i0, m0, m1, m2, m3, d, dmin, y0, acc0);
            if (T.Value > 1)
            {
                acc1 = Q4KBlock(i1, m0, m1, m2, m3, d, dmin, y1, acc1);
                acc2 = Q4KBlock(i2, m0, m1, m2, m3, d, dmin, y2, acc2);
                acc3 = Q4KBlock(i3, m0, m1, m2, m3, d, dmin, y3, acc3);
            }
        }
        Gemm16.Store<T>(acc0, acc1, acc2, acc3, output, outStride);
    }

    [SkipLocalsInit]
    internal static void Q6K<T>(byte* w, int nb, byte* a, long aRow, float* output, long outStride) where T : struct, ITileCount
    {
        Vector512<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        var low = Vector512.Create((byte)0x0F);
        var high = Vector512.Create((byte)0x30);
        for (int b = 0; b < nb; b++, w += Repack16K.Q6KBlockBytes)
        {
            if (T.Value == 1) Gemm16.Prefetch(w, Repack16K.Q6KBlockBytes);
            byte* y0 = a + (long)b * ActivationBlockBytes, y1 = y0 + aRow, y2 = y1 + aRow, y3 = y2 + aRow;
            Vector512<int> i0 = default, i1 = default, i2 = default, i3 = default;
            Vector512<int> c0 = default, c1 = default, c2 = default, c3 = default;
            for (int j = 0; j < 16; j++)
            {
                var sc = Avx512BW.ConvertToVector512Int16(Vector256.Load((sbyte*)(w + 64 + 32 * j)));
                byte* sub = w + 576 + 192 * j;
                var n0 = Vector512.Load(sub).AsUInt16();
                var n1 = Vector512.Load(sub + 64).AsUInt16();
                var h = Vector512.Load(sub + 128).AsUInt16();
                var v0 = (n0.AsByte() & low) | ((h << 4).AsByte() & high);
                var v1 = (n1.AsByte() & low) | ((h << 2).AsByte() & high);
                var v2 = ((n0 >>> 4).AsByte() & low) | (h.AsByte() & high);
                var v3 = ((n1 >>> 4).AsByte() & low) | ((h >>> 2).AsByte() & high);
                int o = 16 * j;
                Q6KSub(v0, v1, v2, v3, sc, y0, o, j, ref i0, ref c0);
                if (T.Value > 1)
                {
                    Q6KSub(v0, v1, v2, v3, sc, y1, o, j, ref i1, ref c1);
                    Q6KSub(v0, v1, v2, v3, sc, y2, o, j, ref i2, ref c2);
                    Q6KSub(v0, v1, v2, v3, sc, y3, o, j, ref i3, ref c3);
                }
            }
            var d = Vector512.Load((float*)w);
            acc0 += Avx512F.ConvertToVector512Single(i0 - (c0 << 5)) * (d * Vector512.Create(*(float*)(y0 + 256)));
            if (T.Value > 1)
            {
                acc1 += Avx512F.ConvertToVector512Single(i1 - (c1 << 5)) * (d * Vector512.Create(*(float*)(y1 + 256)));
                acc2 += Avx512F.ConvertToVector512Single(i2 - (c2 << 5)) * (d * Vector512.Create(*(float*)(y2 + 256)));
                acc3 += Avx512F.ConvertToVector512Single(i3 - (c3 << 5)) * (d * Vector512.Create(*(float*)(y3 + 256)));
            }
        }
        Gemm16.Store<T>(acc0, acc1, acc2, acc3, output, outStride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> Pairs(Vector512<byte> w, byte* y) => Avx512BW.MultiplyAddAdjacent(w, Vector512.Create(*(int*)y).AsSByte());

    /// <summary>One 32-column Q4_K sub-block in int16: |pair| ≤ 2 * 15 * 128, eight of them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> Sub8(Vector512<byte> w0, Vector512<byte> w1, Vector512<byte> w2, Vector512<byte> w3,
        Vector512<byte> w4, Vector512<byte> w5, Vector512<byte> w6, Vector512<byte> w7, byte* y) =>
        (Pairs(w0, y) + Pairs(w1, y + 4)) + (Pairs(w2, y + 8) + Pairs(w3, y + 12))
        + ((Pairs(w4, y + 16) + Pairs(w5, y + 20)) + (Pairs(w6, y + 24) + Pairs(w7, y + 28)));

    /// <summary>acc + (sumi * d) * dy - (summ * dmin) * dy, summ = sum_j m_j * (sum of the token's 32 quants of sub-block j).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Q4KBlock(Vector512<int> sumi, Vector512<short> m0, Vector512<short> m1, Vector512<short> m2,
        Vector512<short> m3, Vector512<float> d, Vector512<float> dmin, byte* y, Vector512<float> acc)
    {
        var summ = (Avx512BW.MultiplyAddAdjacent(m0, Vector512.Create(*(int*)(y + 260)).AsInt16())
                  + Avx512BW.MultiplyAddAdjacent(m1, Vector512.Create(*(int*)(y + 264)).AsInt16()))
                 + (Avx512BW.MultiplyAddAdjacent(m2, Vector512.Create(*(int*)(y + 268)).AsInt16())
                  + Avx512BW.MultiplyAddAdjacent(m3, Vector512.Create(*(int*)(y + 272)).AsInt16()));
        var dy = Vector512.Create(*(float*)(y + 256));
        return acc + Avx512F.ConvertToVector512Single(sumi) * (d * dy) - Avx512F.ConvertToVector512Single(summ) * (dmin * dy);
    }

    /// <summary>One 16-column Q6_K sub-block: sumi += sc * (u · y) in two int16 halves (|pair| ≤ 2 * 63 * 128, two of them),
    /// corr += sc * (sum of the token's 16 quants).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Q6KSub(Vector512<byte> v0, Vector512<byte> v1, Vector512<byte> v2, Vector512<byte> v3, Vector512<short> sc,
        byte* y, int o, int j, ref Vector512<int> sumi, ref Vector512<int> corr)
    {
        var lo = Pairs(v0, y + o) + Pairs(v1, y + o + 4);
        var hi = Pairs(v2, y + o + 8) + Pairs(v3, y + o + 12);
        sumi += Avx512BW.MultiplyAddAdjacent(lo, sc) + Avx512BW.MultiplyAddAdjacent(hi, sc);
        corr += Avx512BW.MultiplyAddAdjacent(sc, Vector512.Create(*(int*)(y + 260 + 4 * j)).AsInt16());
    }
}
