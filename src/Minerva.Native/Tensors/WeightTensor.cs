
namespace Minerva.Native.Tensors;

/// <summary>How the rows of a Q or K projection are ordered, which decides how RoPE pairs the dimensions.</summary>
public enum RopeLayout
{
    /// <summary>GGUF files converted from Hugging Face: rows permuted so that RoPE rotates adjacent pairs (2i, 2i+1) (ggml "norm" mode).</summary>
    Interleaved,
    /// <summary>Hugging Face checkpoints: RoPE rotates (i, i + headDim/2) ("rotate_half", ggml "neox" mode).</summary>
    HalfSplit,
}

/// <summary>
/// One weight as it lies in the memory-mapped file: never copied on the CPU. Dimensions are in ggml order:
/// <c>Dims[0]</c> is the row length (innermost), so a [out, in] matrix has Dims = { in, out }.
/// </summary>
public sealed unsafe class WeightTensor
{
    public WeightTensor(string name, GgmlType type, long[] dims, byte* data, long byteCount)
    {
        Name = name;
        Type = type;
        Dims = dims;
        Data = data;
        ByteCount = byteCount;
    }

    public string Name { get; }
    public GgmlType Type { get; }
    public long[] Dims { get; }
    /// <summary>Pointer into the mapping; valid while the model that owns the mapping is alive.</summary>
    public byte* Data { get; }
    public long ByteCount { get; }
    /// <summary>Whether <see cref="Data"/> lies in a read-only file mapping (so its pages may be dropped and read again).</summary>
    internal bool FileMapped { get; init; }

    /// <summary>Row length (elements).</summary>
    public long Columns => Dims[0];
    /// <summary>Number of rows (product of the outer dimensions).</summary>
    public long Rows
    {
        get
        {
            long rows = 1;
            for (int i = 1; i < Dims.Length; i++) rows *= Dims[i];
            return rows;
        }
    }

    public long ElementCount => Columns * Rows;
    public long RowBytes => GgmlTypes.RowBytes(Type, Columns);

    public ReadOnlySpan<byte> Row(long row) => new(Data + row * RowBytes, checked((int)RowBytes));

    public override string ToString() => $"{Name} {Type} [{string.Join(", ", Dims)}]";
}
