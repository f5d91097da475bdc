// Q4_0: 32 weights = fp16 d + 16 bytes of 4-bit q, w = (q - 8) * d; layout and reference from ggml-common.h / ggml-quants.c.
using System.Runtime.InteropServices;

namespace Minerva.Native.Quantization;

/// <summary>block_q4_0 (18 bytes).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct BlockQ4_0
{
    public const int QK = 32;
    public ushort d;          // fp16 delta
    public fixed byte qs[16]; // [32] nibbles: low = element j, high = element j + 16
}

/// <summary>Scalar references for Q4_0 (quantize_row_q4_0_ref, dequantize_row_q4_0, ggml_vec_dot_q4_0_q8_0_generic).</summary>
internal static unsafe class Q4_0
{
    public static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> y)
    {
        var x = MemoryMarshal.Cast<byte, BlockQ4_0>(blocks);
        int nb = y.Length / BlockQ4_0.QK;
        for (int i = 0; i < nb; i++)
        {
            ref readonly var b = ref x[i];
            float d = QuantMath.Fp16ToFp32(b.d);
            for (int j = 0; j < 16; j++)
            {
                int x0 = (b.qs[j] & 0x0F) - 8;
                int x1 = (b.qs[j] >> 4) - 8;
                y[i * 32 + j] = x0 * d;
                y[i * 32 + j + 16] = x1 * d;
            }
        }
    }

    public static void Quantize(ReadOnlySpan<float> x, Span<byte> blocks)
    {
        var y = MemoryMarshal.Cast<byte, BlockQ4_0>(blocks);
        int nb = x.Length / BlockQ4_0.QK;
        for (int i = 0; i < nb; i++)
        {
            float amax = 0f, max = 0f;
            for (int j = 0; j < 32; j++)
            {
                float v = x[i * 32 + j];
                if (amax < MathF.Abs(v)) { amax = MathF.Abs(v); max = v; }
            }
            float d = max / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            ref var b = ref y[i];
            b.d = QuantMath.Fp32ToFp16(d);
            for (int j = 0; j < 16; j++)
            {
                float x0 = x[i * 32 + j] * id;
                float x1 = x[i * 32 + 16 + j] * id;
                byte xi0 = (byte)Math.Min(15, (int)(sbyte)(x0 + 8.5f));
                byte xi1 = (byte)Math.Min(15, (int)(sbyte)(x1 + 8.5f));
                b.qs[j] = (byte)(xi0 | (xi1 << 4));
            }
        }
    }

    /// <summary>Q4_0 weights · Q8_0 activations.</summary>
    public static float VecDot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n)
    {
        var x = MemoryMarshal.Cast<byte, BlockQ4_0>(weights);
        var y = MemoryMarshal.Cast<byte, BlockQ8_0>(activations);
        int nb = n / 32;
        float sumf = 0;
        for (int ib = 0; ib < nb; ib++)
        {
            ref readonly var bx = ref x[ib];
            ref readonly var by = ref y[ib];
            int sumi0 = 0, sumi1 = 0;
            for (int j = 0; j < 16; j++)
            {
                int v0 = (bx.qs[j] & 0x0F) - 8;
                int v1 = (bx.qs[j] >> 4) - 8;
                sumi0 += v0 * by.qs[j];
                sumi1 += v1 * by.qs[j + 16];
            }
            int sumi = sumi0 + sumi1;
            sumf += sumi * QuantMath.Fp16ToFp32(bx.d) * QuantMath.Fp16ToFp32(by.d);
        }
        return sumf;
    }
}
