// Q8_0: 32 weights = fp16 d + 32 int8 q, w = q * d; layout and reference from ggml-common.h / ggml-quants.c.
using System.Runtime.InteropServices;

namespace Minerva.Native.Quantization;

/// <summary>block_q8_0 (34 bytes).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct BlockQ8_0
{
    public const int QK = 32;
    public ushort d;           // fp16 delta
    public fixed sbyte qs[32]; // [32] quants
}

/// <summary>Scalar references for Q8_0 (quantize_row_q8_0_ref, dequantize_row_q8_0, ggml_vec_dot_q8_0_q8_0_generic).</summary>
internal static unsafe class Q8_0
{
    public static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> y)
    {
        var x = MemoryMarshal.Cast<byte, BlockQ8_0>(blocks);
        int nb = y.Length / 32;
        for (int i = 0; i < nb; i++)
        {
            ref readonly var b = ref x[i];
            float d = QuantMath.Fp16ToFp32(b.d);
            for (int j = 0; j < 32; j++) y[i * 32 + j] = b.qs[j] * d;
        }
    }

    public static void Quantize(ReadOnlySpan<float> x, Span<byte> blocks)
    {
        var y = MemoryMarshal.Cast<byte, BlockQ8_0>(blocks);
        int nb = x.Length / 32;
        for (int i = 0; i < nb; i++)
        {
            float amax = 0f;
            for (int j = 0; j < 32; j++) amax = MathF.Max(amax, MathF.Abs(x[i * 32 + j]));
            float d = amax / ((1 << 7) - 1);
            float id = d != 0 ? 1.0f / d : 0.0f;
            ref var b = ref y[i];
            b.d = QuantMath.Fp32ToFp16(d);
            for (int j = 0; j < 32; j++) b.qs[j] = (sbyte)QuantMath.RoundF(x[i * 32 + j] * id);
        }
    }

    /// <summary>Q8_0 weights · Q8_0 activations.</summary>
    public static float VecDot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n)
    {
        var x = MemoryMarshal.Cast<byte, BlockQ8_0>(weights);
        var y = MemoryMarshal.Cast<byte, BlockQ8_0>(activations);
        int nb = n / 32;
        float sumf = 0;
        for (int ib = 0; ib < nb; ib++)
        {
            ref readonly var bx = ref x[ib];
            ref readonly var by = ref y[ib];
            int sumi = 0;
            for (int j = 0; j < 32; j++) sumi += bx.qs[j] * by.qs[j];
            sumf += sumi * (QuantMath.Fp16ToFp32(bx.d) * QuantMath.Fp16ToFp32(by.d));
        }
        return sumf;
    }
}
