// Q8_1: 32 activations = fp16 d, fp16 s = d * sum(q) + 32 int8 q; layout and reference from ggml-common.h / ggml-quants.c.
using System.Runtime.InteropServices;

namespace Minerva.Native.Quantization;

/// <summary>block_q8_1 (36 bytes).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct BlockQ8_1
{
    public const int QK = 32;
    public ushort d;           // fp16 delta
    public ushort s;           // fp16 d * sum(qs)
    public fixed sbyte qs[32]; // [32] quants
}

/// <summary>Scalar references for Q8_1 (quantize_row_q8_1_ref; dequantize as q * d, ggml has no dequantize_row_q8_1).</summary>
internal static unsafe class Q8_1
{
    public static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> y)
    {
        var x = MemoryMarshal.Cast<byte, BlockQ8_1>(blocks);
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
        var y = MemoryMarshal.Cast<byte, BlockQ8_1>(blocks);
        int nb = x.Length / 32;
        for (int i = 0; i < nb; i++)
        {
            float amax = 0f;
            for (int j = 0; j < 32; j++) amax = MathF.Max(amax, MathF.Abs(x[i * 32 + j]));
            float d = amax / ((1 << 7) - 1);
            float id = d != 0 ? 1.0f / d : 0.0f;
            ref var b = ref y[i];
            b.d = QuantMath.Fp32ToFp16(d);
            int sum = 0;
            for (int j = 0; j < 16; j++)
            {
                b.qs[j] = (sbyte)QuantMath.RoundF(x[i * 32 + j] * id);
                b.qs[16 + j] = (sbyte)QuantMath.RoundF(x[i * 32 + 16 + j] * id);
                sum += b.qs[j];
                sum += b.qs[16 + j];
            }
            b.s = QuantMath.Fp32ToFp16(sum * d);
        }
    }

    /// <summary>Q8_1 · Q8_1 is not a pairing ggml computes; provided as q·q * d·d for completeness.</summary>
    public static float VecDot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n)
    {
        var x = MemoryMarshal.Cast<byte, BlockQ8_1>(weights);
        var y = MemoryMarshal.Cast<byte, BlockQ8_1>(activations);
        int nb = n / 32;
        float sumf = 0;
        for (int ib = 0; ib < nb; ib++)
        {
            int sumi = 0;
            for (int j = 0; j < 32; j++) sumi += x[ib].qs[j] * y[ib].qs[j];
            sumf += sumi * (QuantMath.Fp16ToFp32(x[ib].d) * QuantMath.Fp16ToFp32(y[ib].d));
        }
        return sumf;
    }
}
