// Q4_1: 32 weights = fp16 d, fp16 m + 16 bytes of 4-bit q, w = q * d + m; layout and reference from ggml-common.h / ggml-quants.c.
using System.Runtime.InteropServices;

namespace Minerva.Native.Quantization;

/// <summary>block_q4_1 (20 bytes).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct BlockQ4_1
{
    public const int QK = 32;
    public ushort d;          // fp16 delta
    public ushort m;          // fp16 min
    public fixed byte qs[16]; // [32] nibbles: low = element j, high = element j + 16
}

/// <summary>Scalar references for Q4_1 (quantize_row_q4_1_ref, dequantize_row_q4_1, ggml_vec_dot_q4_1_q8_1_generic).</summary>
internal static unsafe class Q4_1
{
    public static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> y)
    {
        var x = MemoryMarshal.Cast<byte, BlockQ4_1>(blocks);
        int nb = y.Length / 32;
        for (int i = 0; i < nb; i++)
        {
            ref readonly var b = ref x[i];
            float d = QuantMath.Fp16ToFp32(b.d);
            float m = QuantMath.Fp16ToFp32(b.m);
            for (int j = 0; j < 16; j++)
            {
                int x0 = b.qs[j] & 0x0F;
                int x1 = b.qs[j] >> 4;
                y[i * 32 + j] = x0 * d + m;
                y[i * 32 + j + 16] = x1 * d + m;
            }
        }
    }

    public static void Quantize(ReadOnlySpan<float> x, Span<byte> blocks)
    {
        var y = MemoryMarshal.Cast<byte, BlockQ4_1>(blocks);
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
            float d = (max - min) / ((1 << 4) - 1);
            float id = d != 0 ? 1.0f / d : 0.0f;
            ref var b = ref y[i];
            b.d = QuantMath.Fp32ToFp16(d);
            b.m = QuantMath.Fp32ToFp16(min);
            for (int j = 0; j < 16; j++)
            {
                float x0 = (x[i * 32 + j] - min) * id;
                float x1 = (x[i * 32 + 16 + j] - min) * id;
                byte xi0 = (byte)Math.Min(15, (int)(sbyte)(x0 + 0.5f));
                byte xi1 = (byte)Math.Min(15, (int)(sbyte)(x1 + 0.5f));
                b.qs[j] = (byte)(xi0 | (xi1 << 4));
            }
        }
    }

    /// <summary>Q4_1 weights · Q8_1 activations.</summary>
    public static float VecDot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n)
    {
        var x = MemoryMarshal.Cast<byte, BlockQ4_1>(weights);
        var y = MemoryMarshal.Cast<byte, BlockQ8_1>(activations);
        int nb = n / 32;
        float sumf = 0;
        for (int ib = 0; ib < nb; ib++)
        {
            ref readonly var bx = ref x[ib];
            ref readonly var by = ref y[ib];
            int sumi0 = 0, sumi1 = 0;
            for (int j = 0; j < 16; j++)
            {
                int v0 = bx.qs[j] & 0x0F;
                int v1 = bx.qs[j] >> 4;
                sumi0 += v0 * by.qs[j];
                sumi1 += v1 * by.qs[j + 16];
            }
            int sumi = sumi0 + sumi1;
            sumf += QuantMath.Fp16ToFp32(bx.d) * QuantMath.Fp16ToFp32(by.d) * sumi
                  + QuantMath.Fp16ToFp32(bx.m) * QuantMath.Fp16ToFp32(by.s);
        }
        return sumf;
    }
}
