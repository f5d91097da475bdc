// safetensors header: JSON { name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str} }, validated
// by the rules of the huggingface/safetensors crate (Metadata::validate, SafeTensors::read_metadata).
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Minerva.Native.Formats.SafeTensors;

/// <summary>The parsed and validated header: tensors in file order and the free-form metadata in file order.</summary>
internal sealed record SafeTensorsHeader(IReadOnlyList<SafeTensorInfo> Tensors, OrderedDictionary<string, string> Metadata)
{
    /// <summary>The crate's MAX_HEADER_SIZE.</summary>
    public const long MaxHeaderBytes = 100_000_000;
    /// <summary>Our own cap on tensor rank (not in the crate): keeps a hostile shape from costing more than the header.</summary>
    public const int MaxRank = 64;
    public const string MetadataKey = "__metadata__";
    // Bytes before the JSON (the u64 length): every offset we report is a file offset.
    private const long JsonStart = 8;

    /// <summary>
    /// Parses <paramref name="json"/> (file bytes 8..8+N) and checks the tensors tile the data section of
    /// <paramref name="dataBytes"/> bytes exactly: sorted by offsets, each begins where the previous ends, the last ends
    /// at the end of the file, and every byte size equals product(shape) * dtype size.
    /// </summary>
    public static SafeTensorsHeader Parse(string path, ReadOnlySpan<byte> json, long dataBytes)
    {
        if (!Utf8.IsValid(json))
            throw Fail(path, JsonStart + FirstInvalidUtf8(json), "header is not valid UTF-8");

        var tensors = new List<SafeTensorInfo>();
        var keyOffsets = new List<long>();
        var metadata = new OrderedDictionary<string, string>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            ReadRoot(path, ref reader, tensors, keyOffsets, metadata);
        }
        catch (JsonException e)
        {
            throw Fail(path, JsonStart + reader.BytesConsumed, $"header is not valid JSON: {e.Message}");
        }
        catch (InvalidOperationException e)
        {
            throw Fail(path, JsonStart + reader.BytesConsumed, $"header JSON cannot be read: {e.Message}");
        }
        Validate(path, tensors, keyOffsets, dataBytes);
        return new SafeTensorsHeader(tensors, metadata);
    }

    private static void ReadRoot(string path, ref Utf8JsonReader r, List<SafeTensorInfo> tensors, List<long> keyOffsets,
        OrderedDictionary<string, string> metadata)
    {
        Expect(path, ref r, JsonTokenType.StartObject, "the header");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        bool sawMetadata = false;
        while (true)
        {
            Next(path, ref r);
            if (r.TokenType == JsonTokenType.EndObject) break;
            long keyAt = JsonStart + r.TokenStartIndex;
            string key = r.GetString()!;
            if (key == MetadataKey)
            {
                if (sawMetadata) throw Fail(path, keyAt, $"duplicate key '{MetadataKey}'");
                sawMetadata = true;
                ReadMetadata(path, ref r, metadata);
                continue;
            }
            if (!seen.Add(key)) throw Fail(path, keyAt, $"duplicate tensor name '{Clip(key)}'");
            tensors.Add(ReadTensor(path, ref r, key, keyAt));
            keyOffsets.Add(keyAt);
        }
        if (r.Read()) throw Fail(path, JsonStart + r.TokenStartIndex, "content after the header object");
    }

    private static void ReadMetadata(string path, ref Utf8JsonReader r, OrderedDictionary<string, string> metadata)
    {
        Next(path, ref r);
        if (r.TokenType == JsonTokenType.Null) return;
        if (r.TokenType != JsonTokenType.StartObject)
            throw Fail(path, JsonStart + r.TokenStartIndex, $"'{MetadataKey}' is {r.TokenType}, not an object");
        while (true)
        {
            Next(path, ref r);
            if (r.TokenType == JsonTokenType.EndObject) return;
            long keyAt = JsonStart + r.TokenStartIndex;
            string key = r.GetString()!;
            Next(path, ref r);
            if (r.TokenType != JsonTokenType.String)
                throw Fail(path, JsonStart + r.TokenStartIndex, $"metadata value of '{Clip(key)}' is {r.TokenType}, not a string");
            if (!metadata.TryAdd(key, r.GetString()!)) throw Fail(path, keyAt, $"duplicate metadata key '{Clip(key)}'");
        }
    }

    private static SafeTensorInfo ReadTensor(string path, ref Utf8JsonReader r, string name, long keyAt)
    {
        Next(path, ref r);
        if (r.TokenType != JsonTokenType.StartObject)
            throw Fail(path, JsonStart + r.TokenStartIndex, $"tensor '{Clip(name)}' is {r.TokenType}, not an object");
        SafeTensorDType? dtype = null;
        long[]? shape = null, offsets = null;
        while (true)
        {
            Next(path, ref r);
            if (r.TokenType == JsonTokenType.EndObject) break;
            long fieldAt = JsonStart + r.TokenStartIndex;
            if (r.ValueTextEquals("dtype"u8))
            {
                if (dtype is not null) throw Fail(path, fieldAt, $"tensor '{Clip(name)}' has two dtypes");
                Next(path, ref r);
                if (r.TokenType != JsonTokenType.String)
                    throw Fail(path, JsonStart + r.TokenStartIndex, $"dtype of tensor '{Clip(name)}' is {r.TokenType}, not a string");
                string s = r.GetString()!;
                if (!SafeTensorDTypes.TryParse(s, out var t))
                    throw Fail(path, JsonStart + r.TokenStartIndex, $"tensor '{Clip(name)}' has unknown dtype '{Clip(s)}'");
                dtype = t;
            }
            else if (r.ValueTextEquals("shape"u8))
            {
                if (shape is not null) throw Fail(path, fieldAt, $"tensor '{Clip(name)}' has two shapes");
                shape = ReadIntegers(path, ref r, name, "shape", MaxRank);
            }
            else if (r.ValueTextEquals("data_offsets"u8))
            {
                if (offsets is not null) throw Fail(path, fieldAt, $"tensor '{Clip(name)}' has two data_offsets");
                offsets = ReadIntegers(path, ref r, name, "data_offsets", 2);
                if (offsets.Length != 2)
                    throw Fail(path, fieldAt, $"data_offsets of tensor '{Clip(name)}' has {offsets.Length} numbers, not 2");
            }
            else
            {
                // Like the crate (serde without deny_unknown_fields): other fields are ignored.
                if (!r.TrySkip()) throw Fail(path, fieldAt, "truncated JSON");
            }
        }
        if (dtype is null) throw Fail(path, keyAt, $"tensor '{Clip(name)}' has no dtype");
        if (shape is null) throw Fail(path, keyAt, $"tensor '{Clip(name)}' has no shape");
        if (offsets is null) throw Fail(path, keyAt, $"tensor '{Clip(name)}' has no data_offsets");
        return new SafeTensorInfo(name, dtype.Value, shape, offsets[0], offsets[1]);
    }

    private static long[] ReadIntegers(string path, ref Utf8JsonReader r, string name, string field, int max)
    {
        Next(path, ref r);
        if (r.TokenType != JsonTokenType.StartArray)
            throw Fail(path, JsonStart + r.TokenStartIndex, $"{field} of tensor '{Clip(name)}' is {r.TokenType}, not an array");
        var values = new List<long>();
        while (true)
        {
            Next(path, ref r);
            if (r.TokenType == JsonTokenType.EndArray) return values.ToArray();
            long at = JsonStart + r.TokenStartIndex;
            if (r.TokenType != JsonTokenType.Number || !r.TryGetInt64(out long v) || v < 0)
                throw Fail(path, at, $"{field} of tensor '{Clip(name)}' holds a value that is not a non-negative 63-bit integer");
            if (values.Count == max) throw Fail(path, at, $"{field} of tensor '{Clip(name)}' has more than {max} numbers");
            values.Add(v);
        }
    }

    private static void Validate(string path, List<SafeTensorInfo> tensors, List<long> keyOffsets, long dataBytes)
    {
        var order = new int[tensors.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(order, (a, b) =>
        {
            int c = tensors[a].Begin.CompareTo(tensors[b].Begin);
            if (c == 0) c = tensors[a].End.CompareTo(tensors[b].End);
            return c == 0 ? a.CompareTo(b) : c;
        });
        long expected = 0;
        string? previous = null;
        foreach (int i in order)
        {
            SafeTensorInfo t = tensors[i];
            long at = keyOffsets[i];
            if (t.Begin < expected)
                throw Fail(path, at, $"tensor '{Clip(t.Name)}' [{t.Begin}, {t.End}) overlaps tensor '{Clip(previous!)}' ending at {expected}");
            if (t.Begin > expected)
                throw Fail(path, at, $"gap in the data section: tensor '{Clip(t.Name)}' begins at {t.Begin}, the previous one ends at {expected}");
            if (t.End < t.Begin) throw Fail(path, at, $"tensor '{Clip(t.Name)}' ends ({t.End}) before it begins ({t.Begin})");
            long elements = SafeTensorDTypes.ElementCount(t.Shape);
            if (elements < 0) throw Fail(path, at, $"shape of tensor '{Clip(t.Name)}' overflows 63 bits");
            long bits;
            try { bits = checked(elements * t.DType.BitSize()); }
            catch (OverflowException) { throw Fail(path, at, $"byte size of tensor '{Clip(t.Name)}' overflows 63 bits"); }
            if (bits % 8 != 0)
                throw Fail(path, at, $"tensor '{Clip(t.Name)}' of {elements} {t.DType} elements does not fill whole bytes");
            if (t.End - t.Begin != bits / 8)
                throw Fail(path, at,
                    $"tensor '{Clip(t.Name)}' spans {t.End - t.Begin} bytes but {t.DType} [{string.Join(", ", t.Shape)}] needs {bits / 8}");
            expected = t.End;
            previous = t.Name;
        }
        if (expected != dataBytes)
            throw Fail(path, -1, $"tensors cover {expected} bytes but the data section holds {dataBytes}");
    }

    private static void Next(string path, ref Utf8JsonReader r)
    {
        if (!r.Read()) throw Fail(path, JsonStart + r.BytesConsumed, "header JSON ends early");
    }

    private static void Expect(string path, ref Utf8JsonReader r, JsonTokenType type, string what)
    {
        Next(path, ref r);
        if (r.TokenType != type) throw Fail(path, JsonStart + r.TokenStartIndex, $"{what} is {r.TokenType}, not {type}");
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        int i = 0;
        while (i < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[i..], out _, out int used) != System.Buffers.OperationStatus.Done) return i;
            i += used;
        }
        return i;
    }

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "...";

    internal static ModelFormatException Fail(string path, long offset, string reason) => new(path, offset, reason);
}
