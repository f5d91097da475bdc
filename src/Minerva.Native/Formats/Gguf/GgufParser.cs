// Parses and validates a GGUF v2/v3 header: magic, version, counts, metadata KV, tensor infos, aligned data section (layout and rules from ggml's gguf.cpp, gguf_init_from_file_impl).
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using Minerva.Native.Tensors;

namespace Minerva.Native.Formats.Gguf;

internal sealed record GgufHeader(
    uint Version, GgufMetadata Metadata, GgufTensorInfo[] Tensors, Dictionary<string, int> TensorIndex,
    int Alignment, long HeaderSize, long DataOffset);

/// <summary>
/// Reads a header from the bytes of a file. Every count and length is checked against the bytes left before
/// anything is allocated from it; every failure is one <see cref="ModelFormatException"/> with its byte offset.
/// </summary>
internal ref struct GgufParser
{
    public const int DefaultAlignment = 32;
    public const int MaxArrayDepth = 8;
    public const string AlignmentKey = "general.alignment";
    private const int MinKvBytes = 8 + 4 + 1;                 // empty key, type, one-byte value
    private const int MinTensorInfoBytes = 8 + 4 + 8 + 4 + 8; // empty name, n_dims, one dim, type, offset

    private readonly ReadOnlySpan<byte> _data; // the file, or its first int.MaxValue bytes
    private readonly long _fileSize;
    private readonly string _path;
    private int _pos;

    private GgufParser(ReadOnlySpan<byte> data, long fileSize, string path)
    {
        _data = data;
        _fileSize = fileSize;
        _path = path;
    }

    public static GgufHeader Parse(ReadOnlySpan<byte> data, long fileSize, string path) =>
        new GgufParser(data, fileSize, path).ParseAll();

    private readonly int Remaining => _data.Length - _pos;

    private readonly ModelFormatException Fail(long at, string reason) => new(_path, at, reason);

    private ReadOnlySpan<byte> Take(long n, string what)
    {
        if (n > Remaining) throw Fail(_pos, $"{what}: needs {n} bytes but only {Remaining} are left");
        var s = _data.Slice(_pos, (int)n);
        _pos += (int)n;
        return s;
    }

    private uint U32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what));
    private ulong U64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, what));

    private string ReadString(string what)
    {
        long at = _pos;
        ulong length = U64($"{what} length");
        if (length > (ulong)Remaining) throw Fail(at, $"{what} length {length} exceeds the {Remaining} bytes left");
        var bytes = Take((long)length, what);
        if (!Utf8.IsValid(bytes)) throw Fail(at + 8, $"{what} is not valid UTF-8");
        return bytes.IsEmpty ? string.Empty : Encoding.UTF8.GetString(bytes);
    }

    private GgufValue ReadValue(GgufValueType type, string what)
    {
        switch (type)
        {
            case GgufValueType.String: return GgufValue.Of(ReadString(what));
            case GgufValueType.Array: return GgufValue.Of(ReadArray(1, what));
            case GgufValueType.Bool:
                long at = _pos;
                byte b = Take(1, what)[0];
                return b <= 1 ? GgufValue.Of(b == 1) : throw Fail(at, $"{what}: bool byte is {b} (must be 0 or 1)");
            default:
                return GgufValue.FromBits(type, GgufValueTypes.BitsFromBytes(type, Take(GgufValueTypes.FixedSize(type), what)));
        }
    }

    private GgufArray ReadArray(int depth, string what)
    {
        long at = _pos;
        if (depth > MaxArrayDepth) throw Fail(at, $"{what}: arrays nested deeper than {MaxArrayDepth} levels");
        var type = (GgufValueType)U32($"{what} element type");
        if (!GgufValueTypes.IsKnown(type)) throw Fail(at, $"{what}: unknown array element type {(uint)type}");
        ulong count = U64($"{what} count");
        int min = GgufValueTypes.MinEncodedSize(type);
        if (count > (ulong)(Remaining / min))
            throw Fail(at + 4, $"{what}: array of {count} {type} items cannot fit in the {Remaining} bytes left");
        int n = (int)count; // <= Remaining <= int.MaxValue
        var items = GgufArray.NewItems(type, n);
        switch (items)
        {
            case string[] strings:
                for (int i = 0; i < n; i++) strings[i] = ReadString($"{what}[{i}]");
                break;
            case GgufArray[] arrays:
                for (int i = 0; i < n; i++) arrays[i] = ReadArray(depth + 1, $"{what}[{i}]");
                break;
            default:
                long dataAt = _pos;
                var bytes = Take((long)n * min, what);
                int bad = type == GgufValueType.Bool ? bytes.IndexOfAnyExcept((byte)0, (byte)1) : -1;
                if (bad >= 0) throw Fail(dataAt + bad, $"{what}[{bad}]: bool byte is {bytes[bad]} (must be 0 or 1)");
                bytes.CopyTo(MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(items), bytes.Length));
                break;
        }
        return new GgufArray(type, items);
    }

    private GgufHeader ParseAll()
    {
        if (!Take(4, "magic").SequenceEqual("GGUF"u8))
            throw Fail(0, $"not a GGUF file (magic is {Convert.ToHexString(_data[..4])}, expected 47475546 \"GGUF\")");
        uint version = U32("version");
        if (version == 1) throw Fail(4, "GGUF version 1 is not supported (only versions 2 and 3)");
        if (version is not (2 or 3))
            throw Fail(4, BinaryPrimitives.ReverseEndianness(version) is 2 or 3
                ? "big-endian GGUF files are not supported"
                : $"unsupported GGUF version {version} (only versions 2 and 3)");

        long atTensorCount = _pos;
        ulong tensorCount = U64("tensor count");
        long atKvCount = _pos;
        ulong kvCount = U64("metadata count");
        if (kvCount > (ulong)(Remaining / MinKvBytes))
            throw Fail(atKvCount, $"metadata count {kvCount} cannot fit in the {Remaining} bytes left");
        if (tensorCount > (ulong)(Remaining / MinTensorInfoBytes))
            throw Fail(atTensorCount, $"tensor count {tensorCount} cannot fit in the {Remaining} bytes left");

        var (metadata, alignment) = ReadMetadata((int)kvCount);
        var (tensors, index, offsetAt) = ReadTensorInfos((int)tensorCount);
        long headerSize = _pos;
        long dataOffset = (headerSize + alignment - 1) / alignment * alignment;
        CheckPlacement(tensors, offsetAt, alignment, dataOffset);
        return new GgufHeader(version, metadata, tensors, index, alignment, headerSize, dataOffset);
    }

    private (GgufMetadata, int) ReadMetadata(int count)
    {
        var entries = new List<GgufMetadataEntry>(Math.Min(count, 1024));
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            long atKey = _pos;
            string key = ReadString($"key of metadata entry {i}");
            if (!index.TryAdd(key, i)) throw Fail(atKey, $"duplicate metadata key '{key}'");
            long atType = _pos;
            var type = (GgufValueType)U32($"type of '{key}'");
            if (!GgufValueTypes.IsKnown(type)) throw Fail(atType, $"'{key}' has unknown value type {(uint)type}");
            long atValue = _pos;
            entries.Add(new GgufMetadataEntry(key, ReadValue(type, $"value of '{key}'"), atValue));
        }

        int alignment = DefaultAlignment;
        if (index.TryGetValue(AlignmentKey, out int ai))
        {
            var e = entries[ai];
            if (e.Value.Type != GgufValueType.UInt32)
                throw Fail(e.Offset, $"{AlignmentKey} is {GgufValueTypes.Name(e.Value.Type)}, must be UInt32");
            ulong a = e.Value.Bits;
            if (a == 0 || (a & (a - 1)) != 0 || a > int.MaxValue / 2 + 1)
                throw Fail(e.Offset, $"{AlignmentKey} is {a}, must be a power of two");
            alignment = (int)a;
        }
        return (new GgufMetadata(_path, entries.ToArray(), index), alignment);
    }

    private (GgufTensorInfo[], Dictionary<string, int>, long[]) ReadTensorInfos(int count)
    {
        var tensors = new List<GgufTensorInfo>(Math.Min(count, 1024));
        var offsetAt = new List<long>(Math.Min(count, 1024));
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        Span<long> dims = stackalloc long[GgufTensorInfo.MaxDims];
        for (int i = 0; i < count; i++)
        {
            long atName = _pos;
            string name = ReadString($"name of tensor {i}");
            int nameBytes = _pos - (int)atName - 8;
            if (nameBytes == 0) throw Fail(atName, $"tensor {i} has an empty name");
            if (nameBytes >= GgufTensorInfo.MaxNameBytes)
                throw Fail(atName, $"tensor name '{name}' is {nameBytes} bytes (at most {GgufTensorInfo.MaxNameBytes - 1})");
            if (!index.TryAdd(name, i)) throw Fail(atName, $"duplicate tensor name '{name}'");

            long atDims = _pos;
            uint nDims = U32($"dimension count of '{name}'");
            if (nDims is < 1 or > GgufTensorInfo.MaxDims)
                throw Fail(atDims, $"tensor '{name}' has {nDims} dimensions (1 to {GgufTensorInfo.MaxDims} allowed)");
            for (int d = 0; d < nDims; d++)
            {
                ulong v = U64($"dimension {d} of '{name}'");
                if (v is 0 or > long.MaxValue) throw Fail(_pos - 8, $"tensor '{name}' dimension {d} is {(long)v} (must be positive)");
                dims[d] = (long)v;
            }
            long atType = _pos;
            var type = (GgmlType)U32($"type of '{name}'");
            if (!GgmlTypes.IsKnown(type)) throw Fail(atType, $"tensor '{name}' has unknown ggml type {(uint)type}");
            offsetAt.Add(_pos);
            ulong offset = U64($"offset of '{name}'");
            if (offset > long.MaxValue) throw Fail(_pos - 8, $"tensor '{name}' offset {offset} is past the end of the file");

            var shape = dims[..(int)nDims];
            string? error = GgufTensorInfo.CheckShape(type, shape, out long elements, out long bytes);
            if (error is not null) throw Fail(atDims, $"tensor '{name}': {error}");
            tensors.Add(new GgufTensorInfo(i, name, type, shape.ToArray(), (long)offset, elements, bytes));
        }
        return (tensors.ToArray(), index, offsetAt.ToArray());
    }

    private readonly void CheckPlacement(GgufTensorInfo[] tensors, long[] offsetAt, int alignment, long dataOffset)
    {
        long dataBytes = _fileSize - dataOffset;
        foreach (var t in tensors)
        {
            if (t.Offset % alignment != 0)
                throw Fail(offsetAt[t.Index], $"tensor '{t.Name}' offset {t.Offset} is not a multiple of the alignment {alignment}");
            if (dataBytes < 0 || t.Offset > dataBytes || t.ByteSize > dataBytes - t.Offset)
                throw Fail(offsetAt[t.Index], $"tensor '{t.Name}' data [{t.Offset}, {t.Offset} + {t.ByteSize}) lies outside " +
                    $"the data section ({Math.Max(dataBytes, 0)} bytes from byte {dataOffset})");
        }
        var byOffset = (GgufTensorInfo[])tensors.Clone();
        Array.Sort(byOffset, static (a, b) => a.Offset != b.Offset ? a.Offset.CompareTo(b.Offset) : a.Index.CompareTo(b.Index));
        for (int k = 1; k < byOffset.Length; k++)
        {
            var prev = byOffset[k - 1];
            var cur = byOffset[k];
            if (prev.Offset + prev.ByteSize > cur.Offset)
                throw Fail(offsetAt[cur.Index], $"tensor '{cur.Name}' at offset {cur.Offset} overlaps tensor '{prev.Name}' " +
                    $"[{prev.Offset}, {prev.Offset + prev.ByteSize})");
        }
    }
}
