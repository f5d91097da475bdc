using Minerva.Native.Tensors;

namespace Minerva.Native.Quantization;

/// <summary>Dequantizes a whole number of blocks of one row to floats.</summary>
internal delegate void DequantizeRow(ReadOnlySpan<byte> blocks, Span<float> destination);
/// <summary>Quantizes a row (length a multiple of the block size) into blocks.</summary>
internal delegate void QuantizeRow(ReadOnlySpan<float> source, Span<byte> blocks);
/// <summary>Dot product of a weight row with an activation row already quantized to <see cref="QuantTraits.ActivationType"/>.</summary>
internal delegate float VecDot(ReadOnlySpan<byte> weightRow, ReadOnlySpan<byte> activationRow, int elements);

/// <summary>
/// One row per type (ggml's type_traits): geometry and the scalar references. The references are never optimised;
/// every fast kernel (the CPU backend's <c>QuantDot</c> tiers, the CUDA kernels) is tested against them.
/// </summary>
internal sealed record QuantTraits(
    GgmlType Type,
    // Type the activation is quantized to for integer dot products (Q8_0, Q8_1 or Q8_K as ggml pairs them; F32 for F32).
    GgmlType ActivationType,
    DequantizeRow Dequantize,
    QuantizeRow Quantize,
    VecDot VecDotReference)
{
    public int BlockSize => GgmlTypes.Info(Type).BlockSize;
    public int BytesPerBlock => GgmlTypes.Info(Type).BytesPerBlock;
}
