// Q6_K: 256 weights = 16 sub-blocks of 16, int8 scales, 6-bit q (ql nibble + 2 qh bits), w = d*sc*(q-32); layout and reference from ggml-common.h / ggml-quants.c.
using System.Runtime.InteropServices;
using static Minerva.Native.Quantization.QuantMath;

namespace Minerva.Native.Quantization.KQuants;

/// <summary>block_q6_K (210 bytes).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct BlockQ6_K
{
    public fixed byte ql[128];     // [256] low 4 bits
    public fixed byte qh[64];      // [256] high 2 bits
    public fixed sbyte scales[16]; // 8-bit scales per 16 weights
    public ushort d;               // fp16 super-block scale
}

/// <summary>Scalar references for Q6_K (quantize_row_q6_K_ref, dequantize_row_q6_K, ggml_vec_dot_q6_K_q8_K_generic).</summary>
internal static unsafe class Q6_K
{
    public static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> ys)
    {
        var x = MemoryMarshal.Cast<byte, BlockQ6_K>(blocks);
        int nb = ys.Length / 256;
        for (int i = 0; i < nb; i++)
        {
            ref readonly var b = ref x[i];
            float d = Fp16ToFp32(b.d);
            var y = ys.Slice(i * 256, 256);
            for (int n = 0, ql = 0, qh = 0, sc = 0; n < 256; n += 128, ql += 64, qh += 32, sc += 8)
            {
                for (int l = 0; l < 32; ++l)
                {
                    int iS = l / 16;
                    int q1 = (sbyte)((b.ql[ql + l] & 0xF) | (((b.qh[qh + l] >> 0) & 3) << 4)) - 32;
                    int q2 = (sbyte)((b.ql[ql + l + 32] & 0xF) | (((b.qh[qh + l] >> 2) & 3) << 4)) - 32;
                    int q3 = (sbyte)((b.ql[ql + l] >> 4) | (((b.qh[qh + l] >> 4) & 3) << 4)) - 32;
                    int q4 = (sbyte)((b.ql[ql + l + 32] >> 4) | (((b.qh[qh + l] >> 6) & 3) << 4)) - 32;
                    y[n + l + 0] = d * b.scales[sc + iS + 0] * q1;
                    y[n + l + 32] = d * b.scales[sc + iS + 2] * q2;
                    y[n + l + 64] = d * b.scales[sc + iS + 4] * q3;
                    y[n + l + 96] = d * b.scales[sc + iS + 6] * q4;
                }
            }
        }
    }

    public static void Quantize(ReadOnlySpan<float> xs, Span<byte> blocks)
    {
        var y = MemoryMarshal.Cast<byte, BlockQ6_K>(blocks);
        int nb = xs.Length / 256;
        Span<sbyte> L = stackalloc sbyte[256];
        Span<float> scales = stackalloc float[16];
        for (int i = 0; i < nb; i++)
        {
            var x = xs.Slice(i * 256, 256);
            ref var b = ref y[i];
            float maxScale = 0, maxAbsScale = 0;
            for (int ib = 0; ib < 16; ++ib)
            {
                float scale = KQuantSearch.MakeQxQuants(16, 32, x.Slice(16 * ib), L.Slice(16 * ib), 1, default);
                scales[ib] = scale;
                float absScale = MathF.Abs(scale);
                if (absScale > maxAbsScale) { maxAbsScale = absScale; maxScale = scale; }
            }
            if (maxAbsScale < 1e-15f)
            {
                MemoryMarshal.AsBytes(new Span<BlockQ6_K>(ref b)).Clear();
                b.d = Fp32ToFp16(0f);
                continue;
            }
            float iscale = -128f / maxScale;
            b.d = Fp32ToFp16(1 / iscale);
            for (int ib = 0; ib < 16; ++ib) b.scales[ib] = (sbyte)Math.Min(127, NearestInt(iscale * scales[ib]));
            for (int j = 0; j < 16; ++j)
            {
                float d = Fp16ToFp32(b.d) * b.scales[j];
                if (d == 0) continue;
                for (int ii = 0; ii < 16; ++ii)
                {
                    int l = NearestInt(x[16 * j + ii] / d);
                    l = Math.Max(-32, Math.Min(31, l));
                    L[16 * j + ii] = (sbyte)(l + 32);
                }
            }
            for (int j = 0, ql = 0, qh = 0; j < 256; j += 128, ql += 64, qh += 32)
            {
                for (int l = 0; l < 32; ++l)
                {
                    byte q1 = (byte)(L[j + l + 0] & 0xF);
                    byte q2 = (byte)(L[j + l + 32] & 0xF);
                    byte q3 = (byte)(L[j + l + 64] & 0xF);
                    byte q4 = (byte)(L[j + l + 96] & 0xF);
                    b.ql[ql + l + 0] = (byte)(q1 | (q3 << 4));
                    b.ql[ql + l + 32] = (byte)(q2 | (q4 << 4));
                    b.qh[qh + l] = (byte)((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
                }
            }
        }
    }

    /// <summary>Q6_K weights · Q8_K activations.</summary>
    public static float VecDot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n)
    {
        var x = MemoryMarshal.Cast<byte, BlockQ6_K>(weights);
        var y = MemoryMarshal.Cast<byte, BlockQ8_K>(activations);
        int nb = n / 256;
        Span<sbyte> aux8 = stackalloc sbyte[256];
        Span<float> sums = stackalloc float[8];
        Span<int> aux32 = stackalloc int[8];
        sums.Clear();
        for (int i = 0; i < nb; ++i)
        {
            ref readonly var bx = ref x[i];
            ref readonly var by = ref y[i];
            aux32.Clear();
            for (int j = 0, a = 0, q4 = 0, qh = 0; j < 256; j += 128, a += 128, q4 += 64, qh += 32)
            {
                for (int l = 0; l < 32; ++l)
                {
                    aux8[a + l + 0] = (sbyte)(((bx.ql[q4 + l] & 0xF) | (((bx.qh[qh + l] >> 0) & 3) << 4)) - 32);
                    aux8[a + l + 32] = (sbyte)(((bx.ql[q4 + l + 32] & 0xF) | (((bx.qh[qh + l] >> 2) & 3) << 4)) - 32);
                    aux8[a + l + 64] = (sbyte)(((bx.ql[q4 + l] >> 4) | (((bx.qh[qh + l] >> 4) & 3) << 4)) - 32);
                    aux8[a + l + 96] = (sbyte)(((bx.ql[q4 + l + 32] >> 4) | (((bx.qh[qh + l] >> 6) & 3) << 4)) - 32);
                }
            }
            int q8 = 0, aa = 0;
            for (int j = 0; j < 16; ++j)
            {
                int scale = bx.scales[j];
                for (int half = 0; half < 2; half++)
                {
                    for (int l = 0; l < 8; ++l) aux32[l] += scale * (short)(by.qs[q8 + l] * aux8[aa + l]);
                    q8 += 8; aa += 8;
                }
            }
            float d = Fp16ToFp32(bx.d) * by.d;
            for (int l = 0; l < 8; ++l) sums[l] += d * aux32[l];
        }
        float sumf = 0;
        for (int l = 0; l < 8; ++l) sumf += sums[l];
        return sumf;
    }
}
