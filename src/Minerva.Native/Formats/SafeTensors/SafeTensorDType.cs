// safetensors element types and their sizes in bits (Dtype in huggingface/safetensors, safetensors/src/tensor.rs).
using Minerva.Native.Tensors;

namespace Minerva.Native.Formats.SafeTensors;

/// <summary>Every element type the safetensors format names; the spelling in the header is the member name.</summary>
public enum SafeTensorDType
{
    BOOL, F4, F6_E2M3, F6_E3M2, U8, I8, F8_E5M2, F8_E4M3, F8_E8M0,
    I16, U16, F16, BF16, I32, U32, F32, C64, F64, I64, U64,
}

/// <summary>Sizes, names and the mapping to the engine's compute types.</summary>
public static class SafeTensorDTypes
{
    private static readonly SafeTensorDType[] All = Enum.GetValues<SafeTensorDType>();
    private static readonly Dictionary<string, SafeTensorDType> ByName =
        All.ToDictionary(t => t.ToString(), StringComparer.Ordinal);

    /// <summary>All known types, in the order of the enum.</summary>
    public static IReadOnlyList<SafeTensorDType> Values => All;

    /// <summary>Bits per element (F4 is 4, the F6 types 6, the rest a whole number of bytes).</summary>
    public static int BitSize(this SafeTensorDType t) => t switch
    {
        SafeTensorDType.F4 => 4,
        SafeTensorDType.F6_E2M3 or SafeTensorDType.F6_E3M2 => 6,
        SafeTensorDType.BOOL or SafeTensorDType.U8 or SafeTensorDType.I8 or SafeTensorDType.F8_E5M2
            or SafeTensorDType.F8_E4M3 or SafeTensorDType.F8_E8M0 => 8,
        SafeTensorDType.I16 or SafeTensorDType.U16 or SafeTensorDType.F16 or SafeTensorDType.BF16 => 16,
        SafeTensorDType.I32 or SafeTensorDType.U32 or SafeTensorDType.F32 => 32,
        SafeTensorDType.C64 or SafeTensorDType.F64 or SafeTensorDType.I64 or SafeTensorDType.U64 => 64,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, null),
    };

    /// <summary>The spelling used in the header JSON.</summary>
    public static string Name(this SafeTensorDType t) => t.ToString();

    public static bool TryParse(string name, out SafeTensorDType t) => ByName.TryGetValue(name, out t);

    /// <summary>F32, F16 and BF16 are the types the engine computes with directly.</summary>
    public static bool IsComputable(this SafeTensorDType t) =>
        t is SafeTensorDType.F32 or SafeTensorDType.F16 or SafeTensorDType.BF16;

    /// <summary>The ggml type of a computable type; false for the others.</summary>
    public static bool TryToGgml(this SafeTensorDType t, out GgmlType type)
    {
        type = t switch
        {
            SafeTensorDType.F32 => GgmlType.F32,
            SafeTensorDType.F16 => GgmlType.F16,
            SafeTensorDType.BF16 => GgmlType.BF16,
            _ => default,
        };
        return t.IsComputable();
    }

    /// <summary>
    /// Bytes of <paramref name="elements"/> elements, or -1 when the count overflows or the bits do not fill whole bytes
    /// (the crate's ValidationOverflow and MisalignedSlice).
    /// </summary>
    public static long ByteSize(this SafeTensorDType t, long elements)
    {
        if (elements < 0) return -1;
        long bits;
        try { bits = checked(elements * t.BitSize()); }
        catch (OverflowException) { return -1; }
        return bits % 8 == 0 ? bits / 8 : -1;
    }

    /// <summary>Product of the dimensions, or -1 on a negative dimension or overflow.</summary>
    public static long ElementCount(ReadOnlySpan<long> shape)
    {
        long n = 1;
        foreach (long d in shape)
        {
            if (d < 0) return -1;
            try { n = checked(n * d); }
            catch (OverflowException) { return -1; }
        }
        return n;
    }
}
