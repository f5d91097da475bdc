namespace Minerva.Native.Tensors;

/// <summary>Tensor element types, numbered as ggml numbers them (ggml.h, enum ggml_type).</summary>
public enum GgmlType : uint
{
    F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
    Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
    IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22, IQ4_XS = 23,
    I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30,
    TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39,
}

/// <summary>Block geometry of one <see cref="GgmlType"/>: elements per block and bytes per block.</summary>
public readonly record struct GgmlTypeInfo(GgmlType Type, string Name, int BlockSize, int BytesPerBlock, bool IsQuantized);

/// <summary>The geometry table for every ggml type (ggml.c, type_traits).</summary>
public static class GgmlTypes
{
    private static readonly Dictionary<GgmlType, GgmlTypeInfo> Table = new GgmlTypeInfo[]
    {
        new(GgmlType.F32, "F32", 1, 4, false),
        new(GgmlType.F16, "F16", 1, 2, false),
        new(GgmlType.BF16, "BF16", 1, 2, false),
        new(GgmlType.F64, "F64", 1, 8, false),
        new(GgmlType.I8, "I8", 1, 1, false),
        new(GgmlType.I16, "I16", 1, 2, false),
        new(GgmlType.I32, "I32", 1, 4, false),
        new(GgmlType.I64, "I64", 1, 8, false),
        new(GgmlType.Q4_0, "Q4_0", 32, 18, true),
        new(GgmlType.Q4_1, "Q4_1", 32, 20, true),
        new(GgmlType.Q5_0, "Q5_0", 32, 22, true),
        new(GgmlType.Q5_1, "Q5_1", 32, 24, true),
        new(GgmlType.Q8_0, "Q8_0", 32, 34, true),
        new(GgmlType.Q8_1, "Q8_1", 32, 36, true),
        new(GgmlType.Q2_K, "Q2_K", 256, 84, true),
        new(GgmlType.Q3_K, "Q3_K", 256, 110, true),
        new(GgmlType.Q4_K, "Q4_K", 256, 144, true),
        new(GgmlType.Q5_K, "Q5_K", 256, 176, true),
        new(GgmlType.Q6_K, "Q6_K", 256, 210, true),
        new(GgmlType.Q8_K, "Q8_K", 256, 292, true),
        new(GgmlType.IQ2_XXS, "IQ2_XXS", 256, 66, true),
        new(GgmlType.IQ2_XS, "IQ2_XS", 256, 74, true),
        new(GgmlType.IQ2_S, "IQ2_S", 256, 82, true),
        new(GgmlType.IQ3_XXS, "IQ3_XXS", 256, 98, true),
        new(GgmlType.IQ3_S, "IQ3_S", 256, 110, true),
        new(GgmlType.IQ1_S, "IQ1_S", 256, 50, true),
        new(GgmlType.IQ1_M, "IQ1_M", 256, 56, true),
        new(GgmlType.IQ4_NL, "IQ4_NL", 32, 18, true),
        new(GgmlType.IQ4_XS, "IQ4_XS", 256, 136, true),
        new(GgmlType.TQ1_0, "TQ1_0", 256, 54, true),
        new(GgmlType.TQ2_0, "TQ2_0", 256, 66, true),
        new(GgmlType.MXFP4, "MXFP4", 32, 17, true),
    }.ToDictionary(i => i.Type);

    public static bool IsKnown(GgmlType type) => Table.ContainsKey(type);

    public static GgmlTypeInfo Info(GgmlType type) =>
        Table.TryGetValue(type, out var info) ? info : throw new ArgumentOutOfRangeException(nameof(type), $"unknown ggml type {(uint)type}");

    public static IEnumerable<GgmlTypeInfo> All => Table.Values;

    /// <summary>Bytes of a row of <paramref name="elements"/> values; the count must be a whole number of blocks.</summary>
    public static long RowBytes(GgmlType type, long elements)
    {
        var info = Info(type);
        if (elements % info.BlockSize != 0)
            throw new ArgumentException($"{info.Name} row of {elements} elements is not a multiple of the block size {info.BlockSize}");
        return elements / info.BlockSize * info.BytesPerBlock;
    }

    public static bool TryParse(string name, out GgmlType type)
    {
        foreach (var info in Table.Values)
            if (string.Equals(info.Name, name, StringComparison.OrdinalIgnoreCase)) { type = info.Type; return true; }
        type = default;
        return false;
    }
}
