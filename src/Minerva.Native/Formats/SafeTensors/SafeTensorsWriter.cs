// safetensors writer: u64 LE header length, compact JSON header ("__metadata__" first, then tensors in insertion order,
// serde_json string escaping) padded with spaces to a multiple of 8 as huggingface/safetensors does, then the data.
using System.Buffers.Binary;
using System.Text;

namespace Minerva.Native.Formats.SafeTensors;

/// <summary>
/// Builds a safetensors file. Tensors are laid out back to back in the order they are added, so writing what
/// <see cref="SafeTensorsFile"/> read from a file this writer made gives the same bytes.
/// </summary>
public sealed class SafeTensorsWriter
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private sealed record Entry(string Name, SafeTensorDType DType, long[] Shape, long Bytes, ReadOnlyMemory<byte> Data, Action<Stream>? Writer);

    private readonly List<Entry> _tensors = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly OrderedDictionary<string, string> _metadata = new(StringComparer.Ordinal);

    /// <summary>Bytes of tensor data added so far.</summary>
    public long DataBytes { get; private set; }

    public int Count => _tensors.Count;

    /// <summary>Adds (or replaces) a <c>__metadata__</c> entry; entries keep their first insertion position.</summary>
    public SafeTensorsWriter AddMetadata(string key, string value)
    {
        CheckText(key);
        CheckText(value);
        _metadata[key] = value;
        return this;
    }

    /// <summary>Adds a tensor whose bytes are in memory; <paramref name="data"/> must stay unchanged until written.</summary>
    public SafeTensorsWriter Add(string name, SafeTensorDType dtype, long[] shape, ReadOnlyMemory<byte> data)
    {
        long bytes = CheckTensor(name, dtype, shape);
        if (data.Length != bytes)
            throw new ArgumentException($"tensor '{name}': {data.Length} bytes given, {dtype} [{string.Join(", ", shape)}] needs {bytes}");
        return Append(new Entry(name, dtype, (long[])shape.Clone(), bytes, data, null));
    }

    /// <summary>Adds a tensor whose bytes <paramref name="write"/> streams out when the file is written; it must write exactly the tensor's byte size.</summary>
    public SafeTensorsWriter Add(string name, SafeTensorDType dtype, long[] shape, Action<Stream> write)
    {
        long bytes = CheckTensor(name, dtype, shape);
        ArgumentNullException.ThrowIfNull(write);
        return Append(new Entry(name, dtype, (long[])shape.Clone(), bytes, default, write));
    }

    /// <summary>The header as written: 8-byte length then the padded JSON.</summary>
    public byte[] BuildHeader()
    {
        var json = new StringBuilder("{");
        bool first = true;
        if (_metadata.Count > 0)
        {
            AppendString(json, SafeTensorsHeader.MetadataKey).Append(":{");
            bool firstPair = true;
            foreach (var (k, v) in _metadata)
            {
                if (!firstPair) json.Append(',');
                firstPair = false;
                AppendString(json, k).Append(':');
                AppendString(json, v);
            }
            json.Append('}');
            first = false;
        }
        long offset = 0;
        foreach (var t in _tensors)
        {
            if (!first) json.Append(',');
            first = false;
            AppendString(json, t.Name).Append(":{\"dtype\":");
            AppendString(json, t.DType.Name()).Append(",\"shape\":[").AppendJoin(',', t.Shape).Append("],\"data_offsets\":[");
            json.Append(offset).Append(',').Append(offset + t.Bytes).Append("]}");
            offset += t.Bytes;
        }
        json.Append('}');
        int jsonBytes = StrictUtf8.GetByteCount(json.ToString());
        int padded = (jsonBytes + 7) / 8 * 8;
        if (padded > SafeTensorsHeader.MaxHeaderBytes)
            throw new InvalidOperationException($"header of {padded} bytes exceeds the format's {SafeTensorsHeader.MaxHeaderBytes}");
        var result = new byte[8 + padded];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)padded);
        StrictUtf8.GetBytes(json.ToString(), result.AsSpan(8));
        result.AsSpan(8 + jsonBytes).Fill((byte)' ');
        return result;
    }

    public void Write(string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Write(stream);
    }

    public void Write(Stream destination)
    {
        destination.Write(BuildHeader());
        var counter = new CountingStream(destination);
        foreach (var t in _tensors)
        {
            if (t.Writer is null)
            {
                destination.Write(t.Data.Span);
                continue;
            }
            long before = counter.Count;
            t.Writer(counter);
            long wrote = counter.Count - before;
            if (wrote != t.Bytes)
                throw new InvalidOperationException($"tensor '{t.Name}': the writer produced {wrote} bytes, {t.Bytes} expected");
        }
        destination.Flush();
    }

    private SafeTensorsWriter Append(Entry e)
    {
        _tensors.Add(e);
        _names.Add(e.Name);
        DataBytes += e.Bytes;
        return this;
    }

    private long CheckTensor(string name, SafeTensorDType dtype, long[] shape)
    {
        CheckText(name);
        ArgumentNullException.ThrowIfNull(shape);
        if (name == SafeTensorsHeader.MetadataKey) throw new ArgumentException($"'{name}' is reserved", nameof(name));
        if (_names.Contains(name)) throw new ArgumentException($"duplicate tensor name '{name}'", nameof(name));
        if (!Enum.IsDefined(dtype)) throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null);
        long elements = SafeTensorDTypes.ElementCount(shape);
        long bytes = elements < 0 ? -1 : dtype.ByteSize(elements);
        if (bytes < 0)
            throw new ArgumentException($"tensor '{name}': {dtype} [{string.Join(", ", shape)}] has no whole byte size", nameof(shape));
        return bytes;
    }

    private static void CheckText(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        try { StrictUtf8.GetByteCount(s); }
        catch (EncoderFallbackException e) { throw new ArgumentException("string is not valid UTF-16", e); }
    }

    // serde_json's escaping: quote, backslash and control characters; everything else as is.
    private static StringBuilder AppendString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20) sb.Append("\\u00").Append(((int)c).ToString("x2"));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"');
    }
}
