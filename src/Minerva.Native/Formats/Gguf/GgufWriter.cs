// Writes GGUF v2/v3 files as a stream: header, metadata, tensor infos, zero padding to general.alignment, then each tensor padded to the alignment (layout from ggml's gguf.cpp gguf_write_out).
using System.Text;
using Minerva.Native.Tensors;

namespace Minerva.Native.Formats.Gguf;

/// <summary>
/// Builds a GGUF file: add metadata (kept in order) and tensor infos (offsets computed from the sizes before them,
/// each rounded up to the alignment), then <see cref="Write(Stream, Action{int, Stream})"/> streams the header and
/// asks for each tensor's bytes in turn, so a model never has to be held in memory.
/// </summary>
public sealed class GgufWriter
{
    private readonly List<GgufMetadataEntry> _metadata = [];
    private readonly Dictionary<string, int> _keys = new(StringComparer.Ordinal);
    private readonly List<GgufTensorInfo> _tensors = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private long _dataSize; // bytes of the data section so far, padded

    /// <param name="version">2 or 3 (the little-endian layouts are the same).</param>
    public GgufWriter(uint version = 3)
    {
        if (version is not (2 or 3)) throw new ArgumentOutOfRangeException(nameof(version), "GGUF version must be 2 or 3");
        Version = version;
    }

    public uint Version { get; }
    public int Alignment { get; private set; } = GgufParser.DefaultAlignment;
    public IReadOnlyList<GgufMetadataEntry> Metadata => _metadata;
    public IReadOnlyList<GgufTensorInfo> Tensors => _tensors;

    /// <summary>
    /// Whether the file ends padded to the alignment (after the last tensor, or after the header when there are
    /// no tensors). gguf.cpp always pads; gguf-py leaves a tensor-less file unpadded. Default true.
    /// </summary>
    public bool TrailingPadding { get; set; } = true;

    public GgufWriter AddMetadata(string key, GgufValue value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (_keys.ContainsKey(key)) throw new ArgumentException($"duplicate metadata key '{key}'", nameof(key));
        if (key == GgufParser.AlignmentKey) SetAlignment(value);
        _keys.Add(key, _metadata.Count);
        _metadata.Add(new GgufMetadataEntry(key, value));
        return this;
    }

    public GgufWriter AddMetadata(string key, string value) => AddMetadata(key, GgufValue.Of(value));
    public GgufWriter AddMetadata(string key, uint value) => AddMetadata(key, GgufValue.Of(value));
    public GgufWriter AddMetadata(string key, int value) => AddMetadata(key, GgufValue.Of(value));
    public GgufWriter AddMetadata(string key, ulong value) => AddMetadata(key, GgufValue.Of(value));
    public GgufWriter AddMetadata(string key, long value) => AddMetadata(key, GgufValue.Of(value));
    public GgufWriter AddMetadata(string key, float value) => AddMetadata(key, GgufValue.Of(value));
    public GgufWriter AddMetadata(string key, double value) => AddMetadata(key, GgufValue.Of(value));
    public GgufWriter AddMetadata(string key, bool value) => AddMetadata(key, GgufValue.Of(value));
    public GgufWriter AddMetadata(string key, GgufArray value) => AddMetadata(key, GgufValue.Of(value));
    public GgufWriter AddMetadata(string key, string[] value) => AddMetadata(key, GgufValue.Of(GgufArray.Of(value)));
    public GgufWriter AddMetadata(string key, float[] value) => AddMetadata(key, GgufValue.Of(GgufArray.Of(value)));
    public GgufWriter AddMetadata(string key, int[] value) => AddMetadata(key, GgufValue.Of(GgufArray.Of(value)));
    public GgufWriter AddMetadata(string key, uint[] value) => AddMetadata(key, GgufValue.Of(GgufArray.Of(value)));

    private void SetAlignment(GgufValue value)
    {
        if (_tensors.Count > 0) throw new InvalidOperationException($"set {GgufParser.AlignmentKey} before adding tensors");
        if (value.Type != GgufValueType.UInt32) throw new ArgumentException($"{GgufParser.AlignmentKey} must be a UInt32");
        ulong a = value.Bits;
        if (a == 0 || (a & (a - 1)) != 0 || a > int.MaxValue / 2 + 1)
            throw new ArgumentException($"{GgufParser.AlignmentKey} {a} is not a power of two");
        Alignment = (int)a;
    }

    /// <summary>Adds a tensor; its offset follows the previous tensors, each padded to the alignment.
    /// <paramref name="dims"/> is in ggml order: dims[0] is the row length.</summary>
    public GgufTensorInfo AddTensor(string name, GgmlType type, long[] dims)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(dims);
        int nameBytes = Encoding.UTF8.GetByteCount(name);
        if (nameBytes is 0 or >= GgufTensorInfo.MaxNameBytes)
            throw new ArgumentException($"tensor name '{name}' must be 1 to {GgufTensorInfo.MaxNameBytes - 1} UTF-8 bytes", nameof(name));
        if (_names.Contains(name)) throw new ArgumentException($"duplicate tensor name '{name}'", nameof(name));
        string? error = GgufTensorInfo.CheckShape(type, dims, out long elements, out long bytes);
        if (error is not null) throw new ArgumentException($"tensor '{name}': {error}", nameof(dims));
        long padded = Pad(bytes);
        if (padded < 0 || _dataSize > long.MaxValue - padded) throw new ArgumentException($"tensor '{name}': data section overflows");
        var info = new GgufTensorInfo(_tensors.Count, name, type, (long[])dims.Clone(), _dataSize, elements, bytes);
        _names.Add(name);
        _tensors.Add(info);
        _dataSize += padded;
        return info;
    }

    private long Pad(long n) => (n + Alignment - 1) / Alignment * Alignment;

    /// <summary>
    /// Writes the file. <paramref name="writeTensorData"/> is called once per tensor, in order, and must write
    /// exactly that tensor's <see cref="GgufTensorInfo.ByteSize"/> bytes to the stream it is given.
    /// The output need not be seekable. Returns the number of bytes written.
    /// </summary>
    public long Write(Stream output, Action<int, Stream> writeTensorData)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(writeTensorData);
        var counter = new CountingStream(output);
        using (var w = new BinaryWriter(counter, Encoding.UTF8, leaveOpen: true))
            WriteHeader(w);
        if (_tensors.Count > 0 || TrailingPadding) WritePadding(counter);
        for (int i = 0; i < _tensors.Count; i++)
        {
            var t = _tensors[i];
            long start = counter.Count;
            writeTensorData(i, counter);
            long written = counter.Count - start;
            if (written != t.ByteSize)
                throw new InvalidOperationException($"tensor '{t.Name}': {written} bytes written, expected {t.ByteSize}");
            if (i < _tensors.Count - 1 || TrailingPadding) WritePadding(counter);
        }
        counter.Flush();
        return counter.Count;
    }

    /// <summary>Writes the file with each tensor's bytes supplied whole by <paramref name="tensorData"/>.</summary>
    public long Write(Stream output, Func<int, ReadOnlyMemory<byte>> tensorData) =>
        Write(output, (i, s) => s.Write(tensorData(i).Span));

    /// <summary>Writes the file to <paramref name="path"/> (created or overwritten).</summary>
    public long Write(string path, Action<int, Stream> writeTensorData)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        return Write(file, writeTensorData);
    }

    /// <summary>A writer holding the metadata and tensor infos of <paramref name="file"/>, with its padding convention.
    /// Writing it with <see cref="CopyDataFrom"/> reproduces a file laid out the gguf.cpp way byte for byte.</summary>
    public static GgufWriter FromFile(GgufFile file)
    {
        var writer = new GgufWriter(file.Version);
        foreach (var e in file.Metadata) writer.AddMetadata(e.Key, e.Value);
        foreach (var t in file.Tensors) writer.AddTensor(t.Name, t.Type, t.Dims);
        long dataEnd = file.Tensors.Count == 0 ? file.HeaderSize
            : file.DataOffset + file.Tensors.Max(t => t.Offset + t.ByteSize);
        writer.TrailingPadding = file.FileSize >= writer.Pad(dataEnd);
        return writer;
    }

    /// <summary>A tensor-data callback copying each tensor from <paramref name="file"/> by name.</summary>
    public Action<int, Stream> CopyDataFrom(GgufFile file) => (i, s) =>
    {
        var source = file.FindTensor(_tensors[i].Name)
            ?? throw new InvalidOperationException($"tensor '{_tensors[i].Name}' is not in {file.Path}");
        file.CopyTensorTo(source, s);
    };

    private void WriteHeader(BinaryWriter w)
    {
        w.Write("GGUF"u8);
        w.Write(Version);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)_metadata.Count);
        foreach (var e in _metadata)
        {
            WriteString(w, e.Key);
            w.Write((uint)e.Value.Type);
            WriteValue(w, e.Value);
        }
        foreach (var t in _tensors)
        {
            WriteString(w, t.Name);
            w.Write((uint)t.Dims.Length);
            foreach (long d in t.Dims) w.Write((ulong)d);
            w.Write((uint)t.Type);
            w.Write((ulong)t.Offset);
        }
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static void WriteValue(BinaryWriter w, GgufValue v)
    {
        switch (v.Type)
        {
            case GgufValueType.String: WriteString(w, v.AsString()); break;
            case GgufValueType.Array: WriteArray(w, v.AsArray()); break;
            default:
                Span<byte> bytes = stackalloc byte[8];
                System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes, v.Bits);
                w.Write(bytes[..GgufValueTypes.FixedSize(v.Type)]);
                break;
        }
    }

    private static void WriteArray(BinaryWriter w, GgufArray a)
    {
        w.Write((uint)a.ElementType);
        w.Write((ulong)a.Count);
        switch (a.Items)
        {
            case string[] strings: foreach (var s in strings) WriteString(w, s); break;
            case GgufArray[] arrays: foreach (var inner in arrays) WriteArray(w, inner); break;
            default: w.Write(a.RawBytes); break;
        }
    }

    private void WritePadding(CountingStream s)
    {
        int n = (int)(Pad(s.Count) - s.Count);
        Span<byte> zeros = stackalloc byte[256];
        zeros.Clear();
        for (; n > 0; n -= Math.Min(n, zeros.Length)) s.Write(zeros[..Math.Min(n, zeros.Length)]);
    }
}
