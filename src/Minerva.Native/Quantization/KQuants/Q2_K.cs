// Q2_K: 256 weights = 16 sub-blocks of 16, 4-bit scale and min each, w = d*sc*q - dmin*m; layout and reference from ggml-common.h / ggml-quants.c.
using System.Runtime.InteropServices;
using static Minerva.Native.Quantization.QuantMath;

namespace Minerva.Native.Quantization.KQuants;

/// <summary>block_q2_K (84 bytes).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct BlockQ2_K
{
    public fixed byte scales[16]; // low nibble scale, high nibble min, per 16 weights
    public fixed byte qs[64];     // [256] 2-bit quants
    public ushort d;              // fp16 super-block scale for scales
    public ushort dmin;           // fp16 super-block scale for mins
}

/// <summary>Scalar references for Q2_K (quantize_row_q2_K_ref, dequantize_row_q2_K, ggml_vec_dot_q2_K_q8_K_generic).</summary>
internal static unsafe class Q2_K
{
    public static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> y)
    {
        var x = MemoryMarshal.Cast<byte, BlockQ2_K>(blocks);
        int nb = y.Length / 256;
        int o = 0;
        for (int i = 0; i < nb; i++)
        {
            ref readonly var b = ref x[i];
            float d = Fp16ToFp32(b.d);
            float min = Fp16ToFp32(b.dmin);
            int q = 0, iS = 0;
            for (int n = 0; n < 256; n += 128)
            {
                int shift = 0;
                for (int j = 0; j < 4; ++j)
                {
                    byte sc = b.scales[iS++];
                    float dl = d * (sc & 0xF), ml = min * (sc >> 4);
                    for (int l = 0; l < 16; ++l) y[o++] = dl * (sbyte)((b.qs[q + l] >> shift) & 3) - ml;
                    sc = b.scales[iS++];
                    dl = d * (sc & 0xF); ml = min * (sc >> 4);
                    for (int l = 0; l < 16; ++l) y[o++] = dl * (sbyte)((b.qs[q + l + 16] >> shift) & 3) - ml;
                    shift += 2;
                }
                q += 32;
            }
        }
    }

    public static void Quantize(ReadOnlySpan<float> xs, Span<byte> blocks)
    {
        var y = MemoryMarshal.Cast<byte, BlockQ2_K>(blocks);
        int nb = xs.Length / 256;
        Span<byte> L = stackalloc byte[256];
        Span<byte> Laux = stackalloc byte[16];
        Span<float> weights = stackalloc float[16];
        Span<float> mins = stackalloc float[16];
        Span<float> scales = stackalloc float[16];
        const float q4scale = 15f;
        for (int i = 0; i < nb; i++)
        {
            var x = xs.Slice(i * 256, 256);
            ref var b = ref y[i];
            float maxScale = 0, maxMin = 0;
            for (int j = 0; j < 16; ++j)
            {
                for (int l = 0; l < 16; ++l) weights[l] = MathF.Abs(x[16 * j + l]);
                scales[j] = KQuantSearch.MakeQkx2Quants(16, 3, x.Slice(16 * j), weights, L.Slice(16 * j), out mins[j], Laux, -0.5f, 0.1f, 15, true);
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }
            if (maxScale > 0)
            {
                float iscale = q4scale / maxScale;
                for (int j = 0; j < 16; ++j) b.scales[j] = (byte)NearestInt(iscale * scales[j]);
                b.d = Fp32ToFp16(maxScale / q4scale);
            }
            else
            {
                for (int j = 0; j < 16; ++j) b.scales[j] = 0;
                b.d = Fp32ToFp16(0f);
            }
            if (maxMin > 0)
            {
                float iscale = q4scale / maxMin;
                for (int j = 0; j < 16; ++j) b.scales[j] |= (byte)(NearestInt(iscale * mins[j]) << 4);
                b.dmin = Fp32ToFp16(maxMin / q4scale);
            }
            else
            {
                b.dmin = Fp32ToFp16(0f);
            }
            for (int j = 0; j < 16; ++j)
            {
                float d = Fp16ToFp32(b.d) * (b.scales[j] & 0xF);
                if (d == 0) continue;
                float dm = Fp16ToFp32(b.dmin) * (b.scales[j] >> 4);
                for (int ii = 0; ii < 16; ++ii)
                {
                    int l = NearestInt((x[16 * j + ii] + dm) / d);
                    L[16 * j + ii] = (byte)Math.Max(0, Math.Min(3, l));
                }
            }
            for (int j = 0; j < 256; j += 128)
                for (int l = 0; l < 32; ++l)
                    b.qs[j / 4 + l] = (byte)(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
        }
    }

    /// <summary>Q2_K weights · Q8_K activations.</summary>
    public static float VecDot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n)
    {
        var x = MemoryMarshal.Cast<byte, BlockQ2_K>(weights);
        var y = MemoryMarshal.Cast<byte, BlockQ8_K>(activations);
        int nb = n / 256;
        float sumf = 0;
        for (int i = 0; i < nb; ++i)
        {
            ref readonly var bx = ref x[i];
            ref readonly var by = ref y[i];
            int summs = 0;
            for (int j = 0; j < 16; ++j) summs += by.bsums[j] * (bx.scales[j] >> 4);
            float dall = by.d * Fp16ToFp32(bx.d);
            float dmin = by.d * Fp16ToFp32(bx.dmin);
            int isum = 0, iS = 0, q2 = 0, q8 = 0;
            for (int k = 0; k < 2; ++k)
            {
                int shift = 0;
                for (int j = 0; j < 4; ++j)
                {
                    int d = bx.scales[iS++] & 0xF;
                    int isuml = 0;
                    for (int l = 0; l < 16; ++l) isuml += by.qs[q8 + l] * ((bx.qs[q2 + l] >> shift) & 3);
                    isum += d * isuml;
                    d = bx.scales[iS++] & 0xF;
                    isuml = 0;
                    for (int l = 16; l < 32; ++l) isuml += by.qs[q8 + l] * ((bx.qs[q2 + l] >> shift) & 3);
                    isum += d * isuml;
                    shift += 2;
                    q8 += 32;
                }
                q2 += 32;
            }
            sumf += dall * isum - dmin * summs;
        }
        return sumf;
    }
}
