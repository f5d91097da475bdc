// One GGUF tensor info: name, ggml-order dims (dims[0] innermost), ggml type and offset within the data section (gguf.cpp, gguf_tensor_info).
using Minerva.Native.Tensors;
namespace Minerva.Native.Formats.Gguf;

/// <summary>
/// A tensor described in a GGUF header. <see cref="Dims"/> is in ggml order (<c>Dims[0]</c> is the row length);
/// <see cref="Offset"/> is relative to the start of the data section. Do not modify <see cref="Dims"/>.
/// </summary>
public sealed class GgufTensorInfo
{
    /// <summary>ggml's GGML_MAX_DIMS.</summary>
    public const int MaxDims = 4;
    /// <summary>ggml's GGML_MAX_NAME (the name and its terminating zero).</summary>
    public const int MaxNameBytes = 64;

    internal GgufTensorInfo(int index, string name, GgmlType type, long[] dims, long offset, long elementCount, long byteSize)
    {
        Index = index;
        Name = name;
        Type = type;
        Dims = dims;
        Offset = offset;
        ElementCount = elementCount;
        ByteSize = byteSize;
    }

    /// <summary>Position in the header's tensor list.</summary>
    public int Index { get; }
    public string Name { get; }
    public GgmlType Type { get; }
    public long[] Dims { get; }
    public long Offset { get; }
    public long ElementCount { get; }
    public long ByteSize { get; }

    public override string ToString() => $"{Name} {Type} [{string.Join(", ", Dims)}] at +{Offset} ({ByteSize} bytes)";

    /// <summary>Checks a shape and computes its size; returns why it is invalid, or null.</summary>
    internal static string? CheckShape(GgmlType type, ReadOnlySpan<long> dims, out long elements, out long bytes)
    {
        elements = 0;
        bytes = 0;
        if (!GgmlTypes.IsKnown(type)) return $"unknown ggml type {(uint)type}";
        if (dims.Length is < 1 or > MaxDims) return $"{dims.Length} dimensions (1 to {MaxDims} allowed)";
        long rows = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] <= 0) return $"dimension {i} is {dims[i]} (must be positive)";
            if (i > 0 && rows > long.MaxValue / dims[i]) return "element count overflows";
            if (i > 0) rows *= dims[i];
        }
        var info = GgmlTypes.Info(type);
        if (dims[0] % info.BlockSize != 0)
            return $"row length {dims[0]} is not a multiple of the {info.Name} block size {info.BlockSize}";
        if (dims[0] / info.BlockSize > long.MaxValue / info.BytesPerBlock) return "row byte count overflows";
        long rowBytes = dims[0] / info.BlockSize * info.BytesPerBlock;
        if (rows > long.MaxValue / dims[0] || rows > long.MaxValue / rowBytes) return "element count overflows";
        elements = rows * dims[0];
        bytes = rows * rowBytes;
        return null;
    }
}
