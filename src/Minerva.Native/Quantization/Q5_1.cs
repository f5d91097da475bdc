// Q5_1: 32 weights = fp16 d, fp16 m + 32 high bits + 16 bytes of low nibbles, w = q * d + m; layout and reference from ggml-common.h / ggml-quants.c.
using System.Runtime.InteropServices;

namespace Minerva.Native.Quantization;

/// <summary>block_q5_1 (24 bytes).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct BlockQ5_1
{
    public const int QK = 32;
    public ushort d;          // fp16 delta
    public ushort m;          // fp16 min
    public fixed byte qh[4];  // bit j = 5th bit of element j (little-endian uint32)
    public fixed byte qs[16]; // [32] low nibbles: low = element j, high = element j + 16
}

/// <summary>Scalar references for Q5_1 (quantize_row_q5_1_ref, dequantize_row_q5_1, ggml_vec_dot_q5_1_q8_1_generic).</summary>
internal static unsafe class Q5_1
{
    internal static uint Qh(in BlockQ5_1 b) => (uint)(b.qh[0] | (b.qh[1] << 8) | (b.qh[2] << 16) | (b.qh[3] << 24));

    public static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> y)
    {
        var x = MemoryMarshal.Cast<byte, BlockQ5_1>(blocks);
        int nb = y.Length / 32;
        for (int i = 0; i < nb; i++)
        {
            ref readonly var b = ref x[i];
            float d = QuantMath.Fp16ToFp32(b.d);
            float m = QuantMath.Fp16ToFp32(b.m);
            uint qh = Qh(b);
            for (int j = 0; j < 16; j++)
            {
                byte xh0 = (byte)(((qh >> j) << 4) & 0x10);
                byte xh1 = (byte)((qh >> (j + 12)) & 0x10);
                int x0 = (b.qs[j] & 0x0F) | xh0;
                int x1 = (b.qs[j] >> 4) | xh1;
                y[i * 32 + j] = x0 * d + m;
                y[i * 32 + j + 16] = x1 * d + m;
            }
        }
    }

    public static void Quantize(ReadOnlySpan<float> x, Span<byte> blocks)
    {
        var y = MemoryMarshal.Cast<byte, BlockQ5_1>(blocks);
        int nb = x.Length / 32;
        for (int i = 0; i < nb; i++)
        {
            float min = float.MaxValue, max = -float.MaxValue;
            for (int j = 0; j < 32; j++)
            {
                float v = x[i * 32 + j];
                if (v < min) min = v;
                if (v > max) max = v;
            }
            float d = (max - min) / ((1 << 5) - 1);
            float id = d != 0 ? 1.0f / d : 0.0f;
            ref var b = ref y[i];
            b.d = QuantMath.Fp32ToFp16(d);
            b.m = QuantMath.Fp32ToFp16(min);
            uint qh = 0;
            for (int j = 0; j < 16; j++)
            {
                float x0 = (x[i * 32 + j] - min) * id;
                float x1 = (x[i * 32 + 16 + j] - min) * id;
                byte xi0 = (byte)(x0 + 0.5f);
                byte xi1 = (byte)(x1 + 0.5f);
                b.qs[j] = (byte)((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
                qh |= ((xi0 & 0x10u) >> 4) << j;
                qh |= ((xi1 & 0x10u) >> 4) << (j + 16);
            }
            for (int k = 0; k < 4; k++) b.qh[k] = (byte)(qh >> (8 * k));
        }
    }

    /// <summary>Q5_1 weights · Q8_1 activations.</summary>
    public static float VecDot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n)
    {
        var x = MemoryMarshal.Cast<byte, BlockQ5_1>(weights);
        var y = MemoryMarshal.Cast<byte, BlockQ8_1>(activations);
        int nb = n / 32;
        float sumf = 0;
        for (int ib = 0; ib < nb; ib++)
        {
            ref readonly var bx = ref x[ib];
            ref readonly var by = ref y[ib];
            uint qh = Qh(bx);
            int sumi0 = 0, sumi1 = 0;
            for (int j = 0; j < 16; j++)
            {
                byte xh0 = (byte)(((qh >> j) << 4) & 0x10);
                byte xh1 = (byte)((qh >> (j + 12)) & 0x10);
                int x0 = (bx.qs[j] & 0xF) | xh0;
                int x1 = (bx.qs[j] >> 4) | xh1;
                sumi0 += x0 * by.qs[j];
                sumi1 += x1 * by.qs[j + 16];
            }
            int sumi = sumi0 + sumi1;
            sumf += QuantMath.Fp16ToFp32(bx.d) * QuantMath.Fp16ToFp32(by.d) * sumi
                  + QuantMath.Fp16ToFp32(bx.m) * QuantMath.Fp16ToFp32(by.s);
        }
        return sumf;
    }
}
