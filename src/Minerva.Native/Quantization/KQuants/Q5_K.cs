// Q5_K: 256 weights = 8 sub-blocks of 32, 6-bit scale and min each, 5-bit q (nibble + qh bit), w = d*sc*q - dmin*m; layout and reference from ggml-common.h / ggml-quants.c.
using System.Runtime.InteropServices;
using static Minerva.Native.Quantization.QuantMath;

namespace Minerva.Native.Quantization.KQuants;

/// <summary>block_q5_K (176 bytes).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct BlockQ5_K
{
    public ushort d;              // fp16 super-block scale for scales
    public ushort dmin;           // fp16 super-block scale for mins
    public fixed byte scales[12]; // 8 six-bit scales and 8 six-bit mins, packed
    public fixed byte qh[32];     // [256] 5th bits: bit 2c / 2c+1 of byte l = element 64c + l / 64c + 32 + l
    public fixed byte qs[128];    // [256] low nibbles, as Q4_K
}

/// <summary>Scalar references for Q5_K (quantize_row_q5_K_ref, dequantize_row_q5_K, ggml_vec_dot_q5_K_q8_K_generic).</summary>
internal static unsafe class Q5_K
{
    internal static ReadOnlySpan<byte> Scales(in BlockQ5_K b) => MemoryMarshal.AsBytes(new ReadOnlySpan<BlockQ5_K>(in b)).Slice(4, 12);

    public static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> y)
    {
        var x = MemoryMarshal.Cast<byte, BlockQ5_K>(blocks);
        int nb = y.Length / 256;
        int o = 0;
        for (int i = 0; i < nb; i++)
        {
            ref readonly var b = ref x[i];
            var sc = Scales(b);
            float d = Fp16ToFp32(b.d), min = Fp16ToFp32(b.dmin);
            int ql = 0, iS = 0;
            byte u1 = 1, u2 = 2;
            for (int j = 0; j < 256; j += 64)
            {
                KQuantSearch.GetScaleMinK4(iS + 0, sc, out byte s1, out byte m1b);
                float d1 = d * s1, m1 = min * m1b;
                KQuantSearch.GetScaleMinK4(iS + 1, sc, out byte s2, out byte m2b);
                float d2 = d * s2, m2 = min * m2b;
                for (int l = 0; l < 32; ++l) y[o++] = d1 * ((b.qs[ql + l] & 0xF) + ((b.qh[l] & u1) != 0 ? 16 : 0)) - m1;
                for (int l = 0; l < 32; ++l) y[o++] = d2 * ((b.qs[ql + l] >> 4) + ((b.qh[l] & u2) != 0 ? 16 : 0)) - m2;
                ql += 32; iS += 2;
                u1 <<= 2; u2 <<= 2;
            }
        }
    }

    public static void Quantize(ReadOnlySpan<float> xs, Span<byte> blocks)
    {
        var y = MemoryMarshal.Cast<byte, BlockQ5_K>(blocks);
        int nb = xs.Length / 256;
        Span<byte> L = stackalloc byte[256];
        Span<byte> Laux = stackalloc byte[32];
        Span<float> weights = stackalloc float[32];
        Span<float> mins = stackalloc float[8];
        Span<float> scales = stackalloc float[8];
        Span<byte> packed = stackalloc byte[12];
        for (int i = 0; i < nb; i++)
        {
            var x = xs.Slice(i * 256, 256);
            ref var b = ref y[i];
            float maxScale = 0, maxMin = 0;
            for (int j = 0; j < 8; ++j)
            {
                float sumX2 = 0;
                for (int l = 0; l < 32; ++l) sumX2 += x[32 * j + l] * x[32 * j + l];
                float avX = MathF.Sqrt(sumX2 / 32);
                for (int l = 0; l < 32; ++l) weights[l] = avX + MathF.Abs(x[32 * j + l]);
                scales[j] = KQuantSearch.MakeQkx2Quants(32, 31, x.Slice(32 * j), weights, L.Slice(32 * j), out mins[j], Laux, -0.5f, 0.1f, 15, false);
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }
            float invScale = maxScale > 0 ? 63f / maxScale : 0f;
            float invMin = maxMin > 0 ? 63f / maxMin : 0f;
            packed.Clear();
            for (int j = 0; j < 8; ++j)
            {
                byte ls = (byte)NearestInt(invScale * scales[j]);
                byte lm = (byte)NearestInt(invMin * mins[j]);
                KQuantSearch.PackScalesMins(packed, j, Math.Min((byte)63, ls), Math.Min((byte)63, lm));
            }
            for (int j = 0; j < 12; ++j) b.scales[j] = packed[j];
            b.d = Fp32ToFp16(maxScale / 63f);
            b.dmin = Fp32ToFp16(maxMin / 63f);
            for (int j = 0; j < 8; ++j)
            {
                KQuantSearch.GetScaleMinK4(j, packed, out byte sc, out byte m);
                float d = Fp16ToFp32(b.d) * sc;
                if (d == 0) continue;
                float dm = Fp16ToFp32(b.dmin) * m;
                for (int ii = 0; ii < 32; ++ii)
                {
                    int l = NearestInt((x[32 * j + ii] + dm) / d);
                    L[32 * j + ii] = (byte)Math.Max(0, Math.Min(31, l));
                }
            }
            for (int j = 0; j < 32; ++j) b.qh[j] = 0;
            byte m1 = 1, m2 = 2;
            int ql = 0;
            for (int n = 0; n < 256; n += 64)
            {
                for (int j = 0; j < 32; ++j)
                {
                    int l1 = L[n + j];
                    if (l1 > 15) { l1 -= 16; b.qh[j] |= m1; }
                    int l2 = L[n + j + 32];
                    if (l2 > 15) { l2 -= 16; b.qh[j] |= m2; }
                    b.qs[ql + j] = (byte)(l1 | (l2 << 4));
                }
                m1 <<= 2; m2 <<= 2;
                ql += 32;
            }
        }
    }

    /// <summary>Q5_K weights · Q8_K activations.</summary>
    public static float VecDot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n)
    {
        var x = MemoryMarshal.Cast<byte, BlockQ5_K>(weights);
        var y = MemoryMarshal.Cast<byte, BlockQ8_K>(activations);
        int nb = n / 256;
        Span<sbyte> aux8 = stackalloc sbyte[256];
        Span<byte> sm = stackalloc byte[16];
        Span<float> sums = stackalloc float[8];
        Span<int> aux32 = stackalloc int[8];
        sums.Clear();
        float sumf = 0;
        for (int i = 0; i < nb; ++i)
        {
            ref readonly var bx = ref x[i];
            ref readonly var by = ref y[i];
            aux32.Clear();
            int a = 0, q4 = 0;
            byte m = 1;
            for (int j = 0; j < 4; ++j)
            {
                for (int l = 0; l < 32; ++l) aux8[a + l] = (sbyte)((bx.qs[q4 + l] & 0xF) + ((bx.qh[l] & m) != 0 ? 16 : 0));
                a += 32; m <<= 1;
                for (int l = 0; l < 32; ++l) aux8[a + l] = (sbyte)((bx.qs[q4 + l] >> 4) + ((bx.qh[l] & m) != 0 ? 16 : 0));
                a += 32; m <<= 1;
                q4 += 32;
            }
            Q4_K.UnpackScalesMins(Scales(bx), sm);
            int sumi = 0;
            for (int j = 0; j < 16; ++j) sumi += by.bsums[j] * sm[8 + j / 2];
            a = 0;
            int q8 = 0;
            for (int j = 0; j < 8; ++j)
            {
                int scale = sm[j];
                for (int k = 0; k < 4; k++)
                {
                    for (int l = 0; l < 8; ++l) aux32[l] += scale * (short)(by.qs[q8 + l] * aux8[a + l]);
                    q8 += 8; a += 8;
                }
            }
            float d = Fp16ToFp32(bx.d) * by.d;
            for (int l = 0; l < 8; ++l) sums[l] += d * aux32[l];
            float dmin = Fp16ToFp32(bx.dmin) * by.d;
            sumf -= dmin * sumi;
        }
        for (int l = 0; l < 8; ++l) sumf += sums[l];
        return sumf;
    }
}
