// A GGUF metadata array: one element type and a typed CLR array of items (GGUF spec, gguf_metadata_value_t.array).
using System.Runtime.InteropServices;

namespace Minerva.Native.Formats.Gguf;

/// <summary>
/// An immutable GGUF array. <see cref="Items"/> is a typed CLR array matching <see cref="ElementType"/>:
/// byte[], sbyte[], ushort[], short[], uint[], int[], float[], bool[], string[], GgufArray[] (arrays of arrays),
/// ulong[], long[] or double[]. Callers must not modify it.
/// </summary>
public sealed class GgufArray : IEquatable<GgufArray>
{
    public GgufArray(GgufValueType elementType, Array items)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (!GgufValueTypes.IsKnown(elementType) || items.GetType() != ClrArrayType(elementType))
            throw new ArgumentException($"items of type {items.GetType().Name} do not match element type {GgufValueTypes.Name(elementType)}");
        if (items is string[] strings && Array.IndexOf(strings, null) >= 0)
            throw new ArgumentException("a GGUF string array may not hold null");
        if (items is GgufArray[] arrays && Array.IndexOf(arrays, null) >= 0)
            throw new ArgumentException("a GGUF array of arrays may not hold null");
        ElementType = elementType;
        Items = items;
    }

    public GgufValueType ElementType { get; }
    public Array Items { get; }
    public int Count => Items.Length;

    public static GgufArray Of(byte[] v) => new(GgufValueType.UInt8, v);
    public static GgufArray Of(sbyte[] v) => new(GgufValueType.Int8, v);
    public static GgufArray Of(ushort[] v) => new(GgufValueType.UInt16, v);
    public static GgufArray Of(short[] v) => new(GgufValueType.Int16, v);
    public static GgufArray Of(uint[] v) => new(GgufValueType.UInt32, v);
    public static GgufArray Of(int[] v) => new(GgufValueType.Int32, v);
    public static GgufArray Of(ulong[] v) => new(GgufValueType.UInt64, v);
    public static GgufArray Of(long[] v) => new(GgufValueType.Int64, v);
    public static GgufArray Of(float[] v) => new(GgufValueType.Float32, v);
    public static GgufArray Of(double[] v) => new(GgufValueType.Float64, v);
    public static GgufArray Of(bool[] v) => new(GgufValueType.Bool, v);
    public static GgufArray Of(string[] v) => new(GgufValueType.String, v);
    public static GgufArray Of(params GgufArray[] v) => new(GgufValueType.Array, v);

    /// <summary>The items as <typeparamref name="T"/>[] (the stored array, not a copy).</summary>
    public T[] As<T>() => Items.GetType() == typeof(T[]) ? (T[])Items : throw new InvalidOperationException(
        $"GGUF array of {GgufValueTypes.Name(ElementType)} is not {typeof(T).Name}[]");

    /// <summary>One element as a value (allocates; prefer <see cref="As{T}"/> for bulk access).</summary>
    public GgufValue this[int index] => ElementType switch // by tag: the CLR lets a uint[] pass as int[]
    {
        GgufValueType.UInt8 => GgufValue.Of(((byte[])Items)[index]),
        GgufValueType.Int8 => GgufValue.Of(((sbyte[])Items)[index]),
        GgufValueType.UInt16 => GgufValue.Of(((ushort[])Items)[index]),
        GgufValueType.Int16 => GgufValue.Of(((short[])Items)[index]),
        GgufValueType.UInt32 => GgufValue.Of(((uint[])Items)[index]),
        GgufValueType.Int32 => GgufValue.Of(((int[])Items)[index]),
        GgufValueType.UInt64 => GgufValue.Of(((ulong[])Items)[index]),
        GgufValueType.Int64 => GgufValue.Of(((long[])Items)[index]),
        GgufValueType.Float32 => GgufValue.Of(((float[])Items)[index]),
        GgufValueType.Float64 => GgufValue.Of(((double[])Items)[index]),
        GgufValueType.Bool => GgufValue.Of(((bool[])Items)[index]),
        GgufValueType.String => GgufValue.Of(((string[])Items)[index]),
        _ => GgufValue.Of(((GgufArray[])Items)[index]),
    };

    /// <summary>The raw little-endian bytes of a fixed-size element array (as stored in the file).</summary>
    internal ReadOnlySpan<byte> RawBytes =>
        MemoryMarshal.CreateReadOnlySpan(ref MemoryMarshal.GetArrayDataReference(Items), Buffer.ByteLength(Items));

    internal static Array NewItems(GgufValueType t, int n) => t switch
    {
        GgufValueType.UInt8 => new byte[n],
        GgufValueType.Int8 => new sbyte[n],
        GgufValueType.UInt16 => new ushort[n],
        GgufValueType.Int16 => new short[n],
        GgufValueType.UInt32 => new uint[n],
        GgufValueType.Int32 => new int[n],
        GgufValueType.UInt64 => new ulong[n],
        GgufValueType.Int64 => new long[n],
        GgufValueType.Float32 => new float[n],
        GgufValueType.Float64 => new double[n],
        GgufValueType.Bool => new bool[n],
        GgufValueType.String => new string[n],
        _ => new GgufArray[n],
    };

    private static readonly Type[] ClrArrayTypes =
        Enumerable.Range(0, 13).Select(i => NewItems((GgufValueType)i, 0).GetType()).ToArray();

    private static Type ClrArrayType(GgufValueType t) => ClrArrayTypes[(int)t];

    public bool Equals(GgufArray? other)
    {
        if (other is null || ElementType != other.ElementType || Count != other.Count) return false;
        return (Items, other.Items) switch
        {
            (string[] a, string[] b) => a.AsSpan().SequenceEqual(b),
            (GgufArray[] a, GgufArray[] b) => a.AsSpan().SequenceEqual(b),
            _ => RawBytes.SequenceEqual(other.RawBytes),
        };
    }

    public override bool Equals(object? obj) => obj is GgufArray a && Equals(a);
    public override int GetHashCode() => HashCode.Combine(ElementType, Count);
    public override string ToString() => $"[{Count} x {ElementType}]";
}
