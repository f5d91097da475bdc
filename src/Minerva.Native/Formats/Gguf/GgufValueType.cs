// GGUF metadata value type tags and their encoded sizes (gguf.h, enum gguf_type; GGUF spec "gguf_metadata_value_type").
namespace Minerva.Native.Formats.Gguf;

/// <summary>Type tag of a GGUF metadata value, numbered as in the GGUF specification.</summary>
public enum GgufValueType : uint
{
    UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5, Float32 = 6, Bool = 7,
    String = 8, Array = 9, UInt64 = 10, Int64 = 11, Float64 = 12,
}

internal static class GgufValueTypes
{
    public static bool IsKnown(GgufValueType t) => (uint)t <= (uint)GgufValueType.Float64;

    /// <summary>Encoded bytes of a fixed-size value; 0 for strings and arrays.</summary>
    public static int FixedSize(GgufValueType t) => t switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
        _ => 0,
    };

    /// <summary>Fewest bytes one value of this type can occupy: a string is at least its u64 length,
    /// an array at least its u32 element type and u64 count.</summary>
    public static int MinEncodedSize(GgufValueType t) => t switch
    {
        GgufValueType.String => 8,
        GgufValueType.Array => 12,
        _ => FixedSize(t),
    };

    public static bool IsInteger(GgufValueType t) => t is GgufValueType.UInt8 or GgufValueType.Int8
        or GgufValueType.UInt16 or GgufValueType.Int16 or GgufValueType.UInt32 or GgufValueType.Int32
        or GgufValueType.UInt64 or GgufValueType.Int64;

    public static bool IsSigned(GgufValueType t) => t is GgufValueType.Int8 or GgufValueType.Int16
        or GgufValueType.Int32 or GgufValueType.Int64;

    /// <summary>Reinterprets little-endian bytes of a fixed-size value as the 64-bit pattern a
    /// <see cref="GgufValue"/> stores (signed types sign-extended, floats by their bits).</summary>
    public static ulong BitsFromBytes(GgufValueType t, ReadOnlySpan<byte> b) => t switch
    {
        GgufValueType.UInt8 or GgufValueType.Bool => b[0],
        GgufValueType.Int8 => (ulong)(long)(sbyte)b[0],
        GgufValueType.UInt16 => System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(b),
        GgufValueType.Int16 => (ulong)(long)System.Buffers.Binary.BinaryPrimitives.ReadInt16LittleEndian(b),
        GgufValueType.UInt32 or GgufValueType.Float32 => System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(b),
        GgufValueType.Int32 => (ulong)(long)System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(b),
        _ => System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(b),
    };

    public static string Name(GgufValueType t) => IsKnown(t) ? t.ToString() : $"type {(uint)t}";
}
