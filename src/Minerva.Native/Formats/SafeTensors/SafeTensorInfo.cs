// One tensor entry of a safetensors header: dtype, row-major shape (outermost first), [Begin, End) in the data section.
namespace Minerva.Native.Formats.SafeTensors;

/// <summary>
/// A tensor as the header describes it. <see cref="Shape"/> is row-major as in the file (outermost first);
/// <see cref="Begin"/> and <see cref="End"/> are relative to the start of the data section.
/// </summary>
public sealed record SafeTensorInfo(string Name, SafeTensorDType DType, long[] Shape, long Begin, long End)
{
    public long ByteSize => End - Begin;

    public long ElementCount => SafeTensorDTypes.ElementCount(Shape);

    public override string ToString() => $"{Name} {DType} [{string.Join(", ", Shape)}] @{Begin}..{End}";
}
