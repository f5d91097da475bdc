// F32 / F16 / BF16 rows: conversions as ggml (ggml_fp32_to_fp16_row, ggml_fp32_to_bf16_row_ref) and the scalar vec-dots of vec.cpp (double accumulation).
using System.Runtime.InteropServices;

namespace Minerva.Native.Quantization;

/// <summary>Scalar references for the float row types.</summary>
internal static class FloatRows
{
    public static void DequantizeF32(ReadOnlySpan<byte> row, Span<float> y) => MemoryMarshal.Cast<byte, float>(row)[..y.Length].CopyTo(y);

    public static void QuantizeF32(ReadOnlySpan<float> x, Span<byte> row) => x.CopyTo(MemoryMarshal.Cast<byte, float>(row));

    public static void DequantizeF16(ReadOnlySpan<byte> row, Span<float> y)
    {
        var h = MemoryMarshal.Cast<byte, ushort>(row);
        for (int i = 0; i < y.Length; i++) y[i] = QuantMath.Fp16ToFp32(h[i]);
    }

    public static void QuantizeF16(ReadOnlySpan<float> x, Span<byte> row)
    {
        var h = MemoryMarshal.Cast<byte, ushort>(row);
        for (int i = 0; i < x.Length; i++) h[i] = QuantMath.Fp32ToFp16(x[i]);
    }

    public static void DequantizeBF16(ReadOnlySpan<byte> row, Span<float> y)
    {
        var h = MemoryMarshal.Cast<byte, ushort>(row);
        for (int i = 0; i < y.Length; i++) y[i] = QuantMath.Bf16ToFp32(h[i]);
    }

    public static void QuantizeBF16(ReadOnlySpan<float> x, Span<byte> row)
    {
        var h = MemoryMarshal.Cast<byte, ushort>(row);
        for (int i = 0; i < x.Length; i++) h[i] = QuantMath.Fp32ToBf16(x[i]);
    }

    public static float VecDotF32(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n)
    {
        var x = MemoryMarshal.Cast<byte, float>(weights);
        var y = MemoryMarshal.Cast<byte, float>(activations);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += x[i] * y[i];
        return (float)sum;
    }

    public static float VecDotF16(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n)
    {
        var x = MemoryMarshal.Cast<byte, ushort>(weights);
        var y = MemoryMarshal.Cast<byte, ushort>(activations);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += QuantMath.Fp16ToFp32(x[i]) * QuantMath.Fp16ToFp32(y[i]);
        return (float)sum;
    }

    public static float VecDotBF16(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n)
    {
        var x = MemoryMarshal.Cast<byte, ushort>(weights);
        var y = MemoryMarshal.Cast<byte, ushort>(activations);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += QuantMath.Bf16ToFp32(x[i]) * QuantMath.Bf16ToFp32(y[i]);
        return (float)sum;
    }
}
