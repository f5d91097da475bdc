// Small JSON side files of a Hugging Face folder (config.json, index, tokenizer_config.json): read whole, size-capped,
// every failure a ModelFormatException naming the file.
using System.Text.Json;

namespace Minerva.Native.Formats.SafeTensors;

internal static class HfJson
{
    /// <summary>Largest side file we read (tokenizer_config.json with many added tokens runs to a few MB).</summary>
    public const long MaxBytes = 64L << 20;

    public static JsonDocument Load(string path)
    {
        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (stream.Length > MaxBytes) throw new ModelFormatException(path, -1, $"{stream.Length} bytes is more than the {MaxBytes} we read");
            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ModelFormatException(path, -1, $"cannot read: {e.Message}", e);
        }
        try
        {
            // A UTF-8 byte order mark, which some editors add, is not JSON.
            int start = bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
            var doc = JsonDocument.Parse(bytes.AsMemory(start), new JsonDocumentOptions { MaxDepth = 64 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                doc.Dispose();
                throw new ModelFormatException(path, 0, "the JSON is not an object");
            }
            return doc;
        }
        catch (JsonException e)
        {
            throw new ModelFormatException(path, -1, $"invalid JSON: {e.Message}", e);
        }
    }

    public static bool Has(this JsonElement o, string key, out JsonElement value) =>
        o.TryGetProperty(key, out value) && value.ValueKind != JsonValueKind.Null;

    public static int Int(this JsonElement o, string path, string key, int? fallback = null)
    {
        if (!o.Has(key, out var v))
            return fallback ?? throw new ModelFormatException(path, -1, $"'{key}' is missing");
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i)
            ? i
            : throw new ModelFormatException(path, -1, $"'{key}' is {v.GetRawText()}, not a 32-bit integer");
    }

    public static double Number(this JsonElement o, string path, string key, double fallback)
    {
        if (!o.Has(key, out var v)) return fallback;
        return v.ValueKind == JsonValueKind.Number
            ? v.GetDouble()
            : throw new ModelFormatException(path, -1, $"'{key}' is {v.GetRawText()}, not a number");
    }

    public static bool Bool(this JsonElement o, string path, string key, bool fallback)
    {
        if (!o.Has(key, out var v)) return fallback;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new ModelFormatException(path, -1, $"'{key}' is {v.GetRawText()}, not true or false"),
        };
    }

    public static string? Str(this JsonElement o, string path, string key)
    {
        if (!o.Has(key, out var v)) return null;
        return v.ValueKind == JsonValueKind.String
            ? v.GetString()
            : throw new ModelFormatException(path, -1, $"'{key}' is {v.GetRawText()}, not a string");
    }
}
