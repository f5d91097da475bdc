// Scalar helpers shared by the quantizers: ggml's nearest_int, GGML_FP32_TO_FP16 / BF16 rounding (ggml-impl.h, ggml-quants.c).
using System.Runtime.CompilerServices;

namespace Minerva.Native.Quantization;

internal static class QuantMath
{
    /// <summary>ggml's nearest_int: round half to even through the 1.5*2^23 magic constant (valid for |x| &lt;= 4194303).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int NearestInt(float x)
    {
        float val = x + 12582912f;
        int i = BitConverter.SingleToInt32Bits(val);
        return (i & 0x007fffff) - 0x00400000;
    }

    /// <summary>C roundf: half away from zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float RoundF(float x) => MathF.Round(x, MidpointRounding.AwayFromZero);

    /// <summary>GGML_FP16_TO_FP32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Fp16ToFp32(ushort h)
    {
        // Exact and call-free (a call would make the JIT spill every vector register around it in the SIMD kernels):
        // normals rebias the exponent, subnormals are an integer times 2^-24, infinities and NaNs (quieted, as
        // vcvtph2ps and Half do) get the all-ones exponent.
        uint sign = (uint)(h & 0x8000) << 16, em = (uint)(h & 0x7fff);
        if (em < 0x0400) return BitConverter.UInt32BitsToSingle(sign | BitConverter.SingleToUInt32Bits(em * (1f / 16777216f)));
        uint bits = (em << 13) + 0x38000000u;
        if (em >= 0x7c00) bits = (bits + 0x38000000u) | (em > 0x7c00 ? 0x00400000u : 0u);
        return BitConverter.UInt32BitsToSingle(sign | bits);
    }

    /// <summary>GGML_FP32_TO_FP16: round to nearest even (F16C vcvtps2ph imm 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Fp32ToFp16(float f) => BitConverter.HalfToUInt16Bits((Half)f);

    /// <summary>GGML_BF16_TO_FP32: the high half of the float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Bf16ToFp32(ushort h) => BitConverter.Int32BitsToSingle(h << 16);

    /// <summary>ggml_compute_fp32_to_bf16: quiet NaNs, otherwise round to nearest even.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Fp32ToBf16(float f)
    {
        uint u = BitConverter.SingleToUInt32Bits(f);
        if ((u & 0x7fffffff) > 0x7f800000) return (ushort)((u >> 16) | 64);
        return (ushort)((u + (0x7fff + ((u >> 16) & 1))) >> 16);
    }

    public static void CheckRow(int elements, int blockSize, int bytesPerBlock, int byteLength, string name)
    {
        if (elements % blockSize != 0)
            throw new ArgumentException($"{name} row of {elements} elements is not a multiple of the block size {blockSize}");
        if ((long)elements / blockSize * bytesPerBlock > byteLength)
            throw new ArgumentException($"{name} row of {elements} elements needs {elements / blockSize * bytesPerBlock} bytes, got {byteLength}");
    }
}
