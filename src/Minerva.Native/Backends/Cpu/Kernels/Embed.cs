// One table row of any supported type widened to F32: F32 copied, F16/BF16 converted, quantized rows dequantized
// with the type's reference (ggml_get_rows: to_float of the row).
using Minerva.Native.Quantization;
using Minerva.Native.Tensors;

namespace Minerva.Native.Backends.Cpu.Kernels;

internal static unsafe class Embed
{
    public static void RowToF32(byte* row, GgmlType type, QuantTraits? traits, long rowBytes, float* destination, int columns)
    {
        switch (type)
        {
            case GgmlType.F32:
                new ReadOnlySpan<float>(row, columns).CopyTo(new Span<float>(destination, columns));
                break;
            case GgmlType.F16:
                HalfConvert.F16ToF32((ushort*)row, destination, columns);
                break;
            case GgmlType.BF16:
                HalfConvert.BF16ToF32((ushort*)row, destination, columns);
                break;
            default:
                traits!.Dequantize(new ReadOnlySpan<byte>(row, checked((int)rowBytes)), new Span<float>(destination, columns));
                break;
        }
    }
}
