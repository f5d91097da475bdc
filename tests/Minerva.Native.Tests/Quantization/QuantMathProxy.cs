// Thin access to the engine's internal rounding helpers for the tests.
using Minerva.Native.Quantization;

namespace Minerva.Native.Tests.Quantization;

internal static class QuantMathProxy
{
    public static ushort Bf16(float f) => QuantMath.Fp32ToBf16(f);
    public static float Fp16ToFp32(ushort h) => QuantMath.Fp16ToFp32(h);
}
