// Q8_K: 256 activations = fp32 d + 256 int8 q + 16 int16 sums of 16; layout and reference from ggml-common.h / ggml-quants.c.
using System.Runtime.InteropServices;
using static Minerva.Native.Quantization.QuantMath;

namespace Minerva.Native.Quantization.KQuants;

/// <summary>block_q8_K (292 bytes).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct BlockQ8_K
{
    public float d;              // fp32 delta
    public fixed sbyte qs[256];  // [256] quants
    public fixed short bsums[16]; // sum of qs in groups of 16
}

/// <summary>Scalar references for Q8_K (quantize_row_q8_K_ref, dequantize_row_q8_K).</summary>
internal static unsafe class Q8_K
{
    public static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> y)
    {
        var x = MemoryMarshal.Cast<byte, BlockQ8_K>(blocks);
        int nb = y.Length / 256;
        for (int i = 0; i < nb; i++)
            for (int j = 0; j < 256; j++) y[i * 256 + j] = x[i].d * x[i].qs[j];
    }

    /// <summary>ggml leaves bsums untouched for an all-zero block; here they are zeroed.</summary>
    public static void Quantize(ReadOnlySpan<float> xs, Span<byte> blocks)
    {
        var y = MemoryMarshal.Cast<byte, BlockQ8_K>(blocks);
        int nb = xs.Length / 256;
        for (int i = 0; i < nb; i++)
        {
            var x = xs.Slice(i * 256, 256);
            ref var b = ref y[i];
            float max = 0, amax = 0;
            for (int j = 0; j < 256; ++j)
            {
                float ax = MathF.Abs(x[j]);
                if (ax > amax) { amax = ax; max = x[j]; }
            }
            if (amax == 0)
            {
                b.d = 0;
                for (int j = 0; j < 256; ++j) b.qs[j] = 0;
                for (int j = 0; j < 16; ++j) b.bsums[j] = 0;
                continue;
            }
            float iscale = -127f / max;
            for (int j = 0; j < 256; ++j) b.qs[j] = (sbyte)Math.Min(127, NearestInt(iscale * x[j]));
            for (int j = 0; j < 16; ++j)
            {
                int sum = 0;
                for (int ii = 0; ii < 16; ++ii) sum += b.qs[j * 16 + ii];
                b.bsums[j] = (short)sum;
            }
            b.d = 1 / iscale;
        }
    }

    /// <summary>Q8_K · Q8_K is not a pairing ggml computes; provided as q·q * d·d for completeness.</summary>
    public static float VecDot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n)
    {
        var x = MemoryMarshal.Cast<byte, BlockQ8_K>(weights);
        var y = MemoryMarshal.Cast<byte, BlockQ8_K>(activations);
        float sumf = 0;
        for (int i = 0; i < n / 256; i++)
        {
            int sumi = 0;
            for (int j = 0; j < 256; j++) sumi += x[i].qs[j] * y[i].qs[j];
            sumf += sumi * (x[i].d * y[i].d);
        }
        return sumf;
    }
}
