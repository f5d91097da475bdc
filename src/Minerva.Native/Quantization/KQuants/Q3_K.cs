// Q3_K: 256 weights = 16 sub-blocks of 16, 6-bit signed scales, 3-bit q (2 low bits + hmask), w = d*(sc-32)*(q-4); layout and reference from ggml-common.h / ggml-quants.c.
using System.Runtime.InteropServices;
using static Minerva.Native.Quantization.QuantMath;

namespace Minerva.Native.Quantization.KQuants;

/// <summary>block_q3_K (110 bytes).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct BlockQ3_K
{
    public fixed byte hmask[32];  // [256] high bit: bit k of byte m = element 32k + m
    public fixed byte qs[64];     // [256] low 2 bits
    public fixed byte scales[12]; // 16 six-bit scales, packed
    public ushort d;              // fp16 super-block scale
}

/// <summary>Scalar references for Q3_K (quantize_row_q3_K_ref, dequantize_row_q3_K, ggml_vec_dot_q3_K_q8_K_generic).</summary>
internal static unsafe class Q3_K
{
    /// <summary>Unpacks the 12 scale bytes into 16 six-bit values (0..63; subtract 32 for the signed scale).</summary>
    internal static void UnpackScales(in BlockQ3_K b, Span<sbyte> scales)
    {
        const uint kmask1 = 0x03030303, kmask2 = 0x0f0f0f0f;
        Span<uint> aux = stackalloc uint[4];
        for (int k = 0; k < 3; k++)
            aux[k] = (uint)(b.scales[4 * k] | (b.scales[4 * k + 1] << 8) | (b.scales[4 * k + 2] << 16) | (b.scales[4 * k + 3] << 24));
        uint tmp = aux[2];
        aux[2] = ((aux[0] >> 4) & kmask2) | (((tmp >> 4) & kmask1) << 4);
        aux[3] = ((aux[1] >> 4) & kmask2) | (((tmp >> 6) & kmask1) << 4);
        aux[0] = (aux[0] & kmask2) | (((tmp >> 0) & kmask1) << 4);
        aux[1] = (aux[1] & kmask2) | (((tmp >> 2) & kmask1) << 4);
        MemoryMarshal.Cast<uint, sbyte>(aux).CopyTo(scales);
    }

    public static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> y)
    {
        var x = MemoryMarshal.Cast<byte, BlockQ3_K>(blocks);
        int nb = y.Length / 256;
        Span<sbyte> scales = stackalloc sbyte[16];
        int o = 0;
        for (int i = 0; i < nb; i++)
        {
            ref readonly var b = ref x[i];
            float dAll = Fp16ToFp32(b.d);
            UnpackScales(b, scales);
            int q = 0, iS = 0;
            byte m = 1;
            for (int n = 0; n < 256; n += 128)
            {
                int shift = 0;
                for (int j = 0; j < 4; ++j)
                {
                    float dl = dAll * (scales[iS++] - 32);
                    for (int l = 0; l < 16; ++l)
                        y[o++] = dl * ((sbyte)((b.qs[q + l] >> shift) & 3) - ((b.hmask[l] & m) != 0 ? 0 : 4));
                    dl = dAll * (scales[iS++] - 32);
                    for (int l = 0; l < 16; ++l)
                        y[o++] = dl * ((sbyte)((b.qs[q + l + 16] >> shift) & 3) - ((b.hmask[l + 16] & m) != 0 ? 0 : 4));
                    shift += 2;
                    m <<= 1;
                }
                q += 32;
            }
        }
    }

    public static void Quantize(ReadOnlySpan<float> xs, Span<byte> blocks)
    {
        var y = MemoryMarshal.Cast<byte, BlockQ3_K>(blocks);
        int nb = xs.Length / 256;
        Span<sbyte> L = stackalloc sbyte[256];
        Span<float> scales = stackalloc float[16];
        for (int i = 0; i < nb; i++)
        {
            var x = xs.Slice(i * 256, 256);
            ref var b = ref y[i];
            float maxScale = 0, amax = 0;
            for (int j = 0; j < 16; ++j)
            {
                scales[j] = KQuantSearch.MakeQ3Quants(16, 4, x.Slice(16 * j), L.Slice(16 * j), true);
                float scale = MathF.Abs(scales[j]);
                if (scale > amax) { amax = scale; maxScale = scales[j]; }
            }
            for (int j = 0; j < 12; ++j) b.scales[j] = 0;
            if (maxScale != 0)
            {
                float iscale = -32f / maxScale;
                for (int j = 0; j < 16; ++j)
                {
                    sbyte l = (sbyte)NearestInt(iscale * scales[j]);
                    l = (sbyte)(Math.Max(-32, Math.Min(31, (int)l)) + 32);
                    if (j < 8) b.scales[j] = (byte)(l & 0xF);
                    else b.scales[j - 8] |= (byte)((l & 0xF) << 4);
                    l >>= 4;
                    b.scales[j % 4 + 8] |= (byte)(l << (2 * (j / 4)));
                }
                b.d = Fp32ToFp16(1 / iscale);
            }
            else
            {
                b.d = Fp32ToFp16(0f);
            }
            for (int j = 0; j < 16; ++j)
            {
                sbyte sc = (sbyte)(j < 8 ? b.scales[j] & 0xF : b.scales[j - 8] >> 4);
                sc = (sbyte)(((byte)sc | (((b.scales[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32);
                float d = Fp16ToFp32(b.d) * sc;
                if (d == 0) continue;
                for (int ii = 0; ii < 16; ++ii)
                {
                    int l = NearestInt(x[16 * j + ii] / d);
                    l = Math.Max(-4, Math.Min(3, l));
                    L[16 * j + ii] = (sbyte)(l + 4);
                }
            }
            for (int j = 0; j < 32; ++j) b.hmask[j] = 0;
            int mm = 0;
            byte hm = 1;
            for (int j = 0; j < 256; ++j)
            {
                if (L[j] > 3)
                {
                    b.hmask[mm] |= hm;
                    L[j] -= 4;
                }
                if (++mm == 32) { mm = 0; hm <<= 1; }
            }
            for (int j = 0; j < 256; j += 128)
                for (int l = 0; l < 32; ++l)
                    b.qs[j / 4 + l] = (byte)((byte)L[j + l] | ((byte)L[j + l + 32] << 2) | ((byte)L[j + l + 64] << 4) | ((byte)L[j + l + 96] << 6));
        }
    }

    /// <summary>Q3_K weights · Q8_K activations.</summary>
    public static float VecDot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n)
    {
        var x = MemoryMarshal.Cast<byte, BlockQ3_K>(weights);
        var y = MemoryMarshal.Cast<byte, BlockQ8_K>(activations);
        int nb = n / 256;
        Span<sbyte> aux8 = stackalloc sbyte[256];
        Span<sbyte> scales = stackalloc sbyte[16];
        Span<float> sums = stackalloc float[8];
        Span<int> aux32 = stackalloc int[8];
        sums.Clear();
        for (int i = 0; i < nb; ++i)
        {
            ref readonly var bx = ref x[i];
            ref readonly var by = ref y[i];
            aux32.Clear();
            int a = 0, q3 = 0;
            byte m = 1;
            for (int j = 0; j < 256; j += 128)
            {
                for (int shift = 0; shift < 8; shift += 2)
                {
                    for (int l = 0; l < 32; ++l)
                        aux8[a + l] = (sbyte)(((bx.qs[q3 + l] >> shift) & 3) - ((bx.hmask[l] & m) != 0 ? 0 : 4));
                    a += 32; m <<= 1;
                }
                q3 += 32;
            }
            UnpackScales(bx, scales);
            a = 0;
            int q8 = 0;
            for (int j = 0; j < 16; ++j)
            {
                for (int half = 0; half < 2; half++)
                {
                    for (int l = 0; l < 8; ++l) aux32[l] += (scales[j] - 32) * (short)(by.qs[q8 + l] * aux8[a + l]);
                    q8 += 8; a += 8;
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
