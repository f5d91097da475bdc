// Q5_0: 32 weights = fp16 d + 32 high bits + 16 bytes of low nibbles, w = (q - 16) * d; layout and reference from ggml-common.h / ggml-quants.c.
using System.Runtime.InteropServices;

namespace Minerva.Native.Quantization;

/// <summary>block_q5_0 (22 bytes).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct BlockQ5_0
{
    public const int QK = 32;
    public ushort d;          // fp16 delta
    public fixed byte qh[4];  // bit j = 5th bit of element j (little-endian uint32)
    public fixed byte qs[16]; // [32] low nibbles: low = element j, high = element j + 16
}

/// <summary>Scalar references for Q5_0 (quantize_row_q5_0_ref, dequantize_row_q5_0, ggml_vec_dot_q5_0_q8_0_generic).</summary>
internal static unsafe class Q5_0
{
    internal static uint Qh(in BlockQ5_0 b) => (uint)(b.qh[0] | (b.qh[1] << 8) | (b.qh[2] << 16) | (b.qh[3] << 24));

    public static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> y)
    {
        var x = MemoryMarshal.Cast<byte, BlockQ5_0>(blocks);
        int nb = y.Length / 32;
        for (int i = 0; i < nb; i++)
        {
            ref readonly var b = ref x[i];
            float d = QuantMath.Fp16ToFp32(b.d);
            uint qh = Qh(b);
            for (int j = 0; j < 16; j++)
            {
                byte xh0 = (byte)(((qh >> j) << 4) & 0x10);
                byte xh1 = (byte)((qh >> (j + 12)) & 0x10);
                int x0 = ((b.qs[j] & 0x0F) | xh0) - 16;
                int x1 = ((b.qs[j] >> 4) | xh1) - 16;
                y[i * 32 + j] = x0 * d;
                y[i * 32 + j + 16] = x1 * d;
            }
        }
    }

    public static void Quantize(ReadOnlySpan<float> x, Span<byte> blocks)
    {
        var y = MemoryMarshal.Cast<byte, BlockQ5_0>(blocks);
        int nb = x.Length / 32;
        for (int i = 0; i < nb; i++)
        {
            float amax = 0f, max = 0f;
            for (int j = 0; j < 32; j++)
            {
                float v = x[i * 32 + j];
                if (amax < MathF.Abs(v)) { amax = MathF.Abs(v); max = v; }
            }
            float d = max / -16;
            float id = d != 0 ? 1.0f / d : 0.0f;
            ref var b = ref y[i];
            b.d = QuantMath.Fp32ToFp16(d);
            uint qh = 0;
            for (int j = 0; j < 16; j++)
            {
                float x0 = x[i * 32 + j] * id;
                float x1 = x[i * 32 + 16 + j] * id;
                byte xi0 = (byte)Math.Min(31, (int)(sbyte)(x0 + 16.5f));
                byte xi1 = (byte)Math.Min(31, (int)(sbyte)(x1 + 16.5f));
                b.qs[j] = (byte)((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
                qh |= ((xi0 & 0x10u) >> 4) << j;
                qh |= ((xi1 & 0x10u) >> 4) << (j + 16);
            }
            for (int k = 0; k < 4; k++) b.qh[k] = (byte)(qh >> (8 * k));
        }
    }

    /// <summary>Q5_0 weights · Q8_0 activations.</summary>
    public static float VecDot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n)
    {
        var x = MemoryMarshal.Cast<byte, BlockQ5_0>(weights);
        var y = MemoryMarshal.Cast<byte, BlockQ8_0>(activations);
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
                byte xh0 = (byte)(((qh & (1u << j)) >> j) << 4);
                byte xh1 = (byte)((qh & (1u << (j + 16))) >> (j + 12));
                int x0 = (sbyte)(((bx.qs[j] & 0x0F) | xh0) - 16);
                int x1 = (sbyte)(((bx.qs[j] >> 4) | xh1) - 16);
                sumi0 += x0 * by.qs[j];
                sumi1 += x1 * by.qs[j + 16];
            }
            int sumi = sumi0 + sumi1;
            sumf += QuantMath.Fp16ToFp32(bx.d) * QuantMath.Fp16ToFp32(by.d) * sumi;
        }
        return sumf;
    }
}
