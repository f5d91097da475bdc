// One GGUF metadata value: a type tag with either a scalar (kept as its 64-bit pattern), a string or an array (GGUF spec, gguf_metadata_value_t).
using System.Globalization;

namespace Minerva.Native.Formats.Gguf;

/// <summary>
/// An immutable GGUF metadata value. Scalars are stored as a 64-bit pattern (signed integers sign-extended,
/// floats by their bits), so equality is exact and a NaN equals the same NaN. Build with the <c>Of</c> overloads.
/// </summary>
public sealed class GgufValue : IEquatable<GgufValue>
{
    private readonly ulong _bits;
    private readonly object? _ref; // string or GgufArray

    private GgufValue(GgufValueType type, ulong bits, object? reference)
    {
        Type = type;
        _bits = bits;
        _ref = reference;
    }

    public GgufValueType Type { get; }

    public static GgufValue Of(byte v) => new(GgufValueType.UInt8, v, null);
    public static GgufValue Of(sbyte v) => new(GgufValueType.Int8, (ulong)(long)v, null);
    public static GgufValue Of(ushort v) => new(GgufValueType.UInt16, v, null);
    public static GgufValue Of(short v) => new(GgufValueType.Int16, (ulong)(long)v, null);
    public static GgufValue Of(uint v) => new(GgufValueType.UInt32, v, null);
    public static GgufValue Of(int v) => new(GgufValueType.Int32, (ulong)(long)v, null);
    public static GgufValue Of(ulong v) => new(GgufValueType.UInt64, v, null);
    public static GgufValue Of(long v) => new(GgufValueType.Int64, (ulong)v, null);
    public static GgufValue Of(float v) => new(GgufValueType.Float32, BitConverter.SingleToUInt32Bits(v), null);
    public static GgufValue Of(double v) => new(GgufValueType.Float64, BitConverter.DoubleToUInt64Bits(v), null);
    public static GgufValue Of(bool v) => new(GgufValueType.Bool, v ? 1UL : 0UL, null);
    public static GgufValue Of(string v) => new(GgufValueType.String, 0, v ?? throw new ArgumentNullException(nameof(v)));
    public static GgufValue Of(GgufArray v) => new(GgufValueType.Array, 0, v ?? throw new ArgumentNullException(nameof(v)));
    public static GgufValue Of(string[] v) => Of(GgufArray.Of(v));
    public static GgufValue Of(float[] v) => Of(GgufArray.Of(v));
    public static GgufValue Of(int[] v) => Of(GgufArray.Of(v));

    /// <summary>A scalar from the pattern <see cref="GgufValueTypes.BitsFromBytes"/> produced.</summary>
    internal static GgufValue FromBits(GgufValueType type, ulong bits) => new(type, bits, null);

    internal ulong Bits => _bits;

    public bool IsInteger => GgufValueTypes.IsInteger(Type);

    public string AsString() => _ref as string ?? throw WrongType(GgufValueType.String);
    public GgufArray AsArray() => _ref as GgufArray ?? throw WrongType(GgufValueType.Array);
    public bool AsBool() => Type == GgufValueType.Bool ? _bits != 0 : throw WrongType(GgufValueType.Bool);
    public float AsFloat32() => Type == GgufValueType.Float32 ? BitConverter.UInt32BitsToSingle((uint)_bits) : throw WrongType(GgufValueType.Float32);
    public double AsFloat64() => Type == GgufValueType.Float64 ? BitConverter.UInt64BitsToDouble(_bits) : throw WrongType(GgufValueType.Float64);

    /// <summary>The value of any integer type if it fits in a long.</summary>
    public bool TryGetInt64(out long value)
    {
        value = (long)_bits;
        return IsInteger && (GgufValueTypes.IsSigned(Type) || _bits <= long.MaxValue);
    }

    /// <summary>The value of any integer type if it is not negative.</summary>
    public bool TryGetUInt64(out ulong value)
    {
        value = _bits;
        return IsInteger && (!GgufValueTypes.IsSigned(Type) || (long)_bits >= 0);
    }

    /// <summary>The value of Float32 or Float64 (narrowed).</summary>
    public bool TryGetFloat32(out float value)
    {
        value = Type switch
        {
            GgufValueType.Float32 => BitConverter.UInt32BitsToSingle((uint)_bits),
            GgufValueType.Float64 => (float)BitConverter.UInt64BitsToDouble(_bits),
            _ => 0,
        };
        return Type is GgufValueType.Float32 or GgufValueType.Float64;
    }

    /// <summary>The value as a CLR object (byte, sbyte, ..., string, <see cref="GgufArray"/>).</summary>
    public object Boxed => Type switch
    {
        GgufValueType.UInt8 => (byte)_bits,
        GgufValueType.Int8 => (sbyte)_bits,
        GgufValueType.UInt16 => (ushort)_bits,
        GgufValueType.Int16 => (short)_bits,
        GgufValueType.UInt32 => (uint)_bits,
        GgufValueType.Int32 => (int)_bits,
        GgufValueType.UInt64 => _bits,
        GgufValueType.Int64 => (long)_bits,
        GgufValueType.Float32 => AsFloat32(),
        GgufValueType.Float64 => AsFloat64(),
        GgufValueType.Bool => _bits != 0,
        _ => _ref!,
    };

    public bool Equals(GgufValue? other) =>
        other is not null && Type == other.Type && _bits == other._bits && Equals(_ref, other._ref);

    public override bool Equals(object? obj) => obj is GgufValue v && Equals(v);
    public override int GetHashCode() => HashCode.Combine(Type, _bits, _ref);

    public override string ToString() => Boxed switch
    {
        string s => $"\"{s}\"",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        var o => o.ToString() ?? "",
    };

    private InvalidOperationException WrongType(GgufValueType wanted) =>
        new($"GGUF value is {GgufValueTypes.Name(Type)}, not {wanted}");
}
