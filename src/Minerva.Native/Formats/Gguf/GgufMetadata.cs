// The ordered key/value metadata of a GGUF file with typed, llama.cpp-tolerant getters (gguf.cpp gguf_get_val_*; llama-model-loader get_key).
namespace Minerva.Native.Formats.Gguf;

/// <summary>One metadata pair; <see cref="Offset"/> is where its value starts in the file (-1 when built in memory).</summary>
public sealed record GgufMetadataEntry(string Key, GgufValue Value, long Offset = -1);

/// <summary>
/// Metadata in file order with lookup by key. Getters accept any integer type whose value fits the requested one
/// (a u32 key written as i32 reads fine) and Float64 for Float32. <c>Get*</c> throws
/// <see cref="ModelFormatException"/> when the key is missing or incompatible; <c>TryGet*</c> returns false when the
/// key is missing and still throws when it is present with an incompatible type.
/// </summary>
public sealed class GgufMetadata : IReadOnlyList<GgufMetadataEntry>
{
    private readonly GgufMetadataEntry[] _entries;
    private readonly Dictionary<string, int> _index;
    private readonly string _path;

    internal GgufMetadata(string path, GgufMetadataEntry[] entries, Dictionary<string, int> index)
    {
        _path = path;
        _entries = entries;
        _index = index;
    }

    public int Count => _entries.Length;
    public GgufMetadataEntry this[int index] => _entries[index];
    public IEnumerator<GgufMetadataEntry> GetEnumerator() => ((IEnumerable<GgufMetadataEntry>)_entries).GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public IEnumerable<string> Keys => _entries.Select(e => e.Key);
    public bool ContainsKey(string key) => _index.ContainsKey(key);

    public bool TryGetEntry(string key, out GgufMetadataEntry entry)
    {
        bool found = _index.TryGetValue(key, out int i);
        entry = found ? _entries[i] : null!;
        return found;
    }

    public bool TryGetValue(string key, out GgufValue value)
    {
        bool found = TryGetEntry(key, out var e);
        value = found ? e.Value : null!;
        return found;
    }

    /// <summary>The value of <paramref name="key"/>; throws <see cref="ModelFormatException"/> when missing.</summary>
    public GgufValue this[string key] => TryGetValue(key, out var v) ? v : throw Missing(key);

    private delegate bool Convert<T>(GgufValue value, out T result);

    private bool TryGet<T>(string key, string wanted, Convert<T> convert, out T result)
    {
        result = default!;
        if (!TryGetEntry(key, out var e)) return false;
        if (!convert(e.Value, out result))
            throw new ModelFormatException(_path, e.Offset, $"key '{key}' holds {Describe(e.Value)}, expected {wanted}");
        return true;
    }

    private T Get<T>(string key, string wanted, Convert<T> convert) =>
        TryGet(key, wanted, convert, out T r) ? r : throw Missing(key);

    private ModelFormatException Missing(string key) => new(_path, -1, $"required key '{key}' is missing");

    private static string Describe(GgufValue v) =>
        v.Type == GgufValueType.Array ? $"an array of {GgufValueTypes.Name(v.AsArray().ElementType)} ({v.AsArray().Count} items)"
        : v.IsInteger || v.Type is GgufValueType.Float32 or GgufValueType.Float64 ? $"{v.Type} {v}" : $"a {v.Type}";

    private static bool ToStr(GgufValue v, out string r) { r = v.Type == GgufValueType.String ? v.AsString() : null!; return r is not null; }
    private static bool ToBool(GgufValue v, out bool r) { r = v.Type == GgufValueType.Bool && v.AsBool(); return v.Type == GgufValueType.Bool; }
    private static bool ToFloat32(GgufValue v, out float r) => v.TryGetFloat32(out r);
    private static bool ToUInt64(GgufValue v, out ulong r) => v.TryGetUInt64(out r);
    private static bool ToInt64(GgufValue v, out long r) => v.TryGetInt64(out r);
    private static bool ToUInt32(GgufValue v, out uint r) { bool ok = v.TryGetUInt64(out ulong u) && u <= uint.MaxValue; r = (uint)u; return ok; }
    private static bool ToInt32(GgufValue v, out int r) { bool ok = v.TryGetInt64(out long l) && l is >= int.MinValue and <= int.MaxValue; r = (int)l; return ok; }
    private static bool ToArray(GgufValue v, out GgufArray r) { r = v.Type == GgufValueType.Array ? v.AsArray() : null!; return r is not null; }

    private static bool ToStringArray(GgufValue v, out string[] r)
    {
        r = v.Type == GgufValueType.Array && v.AsArray().ElementType == GgufValueType.String ? (string[])v.AsArray().Items.Clone() : null!;
        return r is not null;
    }

    private static bool ToFloat32Array(GgufValue v, out float[] r)
    {
        r = null!;
        if (v.Type != GgufValueType.Array) return false;
        var a = v.AsArray();
        if (a.ElementType == GgufValueType.Float32) r = (float[])a.As<float>().Clone();
        else if (a.ElementType == GgufValueType.Float64) r = Array.ConvertAll(a.As<double>(), x => (float)x);
        return r is not null;
    }

    private static bool ToInt32Array(GgufValue v, out int[] r)
    {
        r = null!;
        if (v.Type != GgufValueType.Array) return false;
        var a = v.AsArray();
        if (a.ElementType == GgufValueType.Int32) { r = (int[])a.As<int>().Clone(); return true; }
        if (!GgufValueTypes.IsInteger(a.ElementType)) return false;
        var result = new int[a.Count];
        for (int i = 0; i < result.Length; i++)
            if (!ToInt32(a[i], out result[i])) return false;
        r = result;
        return true;
    }

    public string GetString(string key) => Get<string>(key, "a string", ToStr);
    public bool TryGetString(string key, out string value) => TryGet(key, "a string", ToStr, out value);
    public bool GetBool(string key) => Get<bool>(key, "a bool", ToBool);
    public bool TryGetBool(string key, out bool value) => TryGet(key, "a bool", ToBool, out value);
    public float GetFloat32(string key) => Get<float>(key, "a float", ToFloat32);
    public bool TryGetFloat32(string key, out float value) => TryGet(key, "a float", ToFloat32, out value);
    public uint GetUInt32(string key) => Get<uint>(key, "an integer in u32 range", ToUInt32);
    public bool TryGetUInt32(string key, out uint value) => TryGet(key, "an integer in u32 range", ToUInt32, out value);
    public int GetInt32(string key) => Get<int>(key, "an integer in i32 range", ToInt32);
    public bool TryGetInt32(string key, out int value) => TryGet(key, "an integer in i32 range", ToInt32, out value);
    public ulong GetUInt64(string key) => Get<ulong>(key, "a non-negative integer", ToUInt64);
    public bool TryGetUInt64(string key, out ulong value) => TryGet(key, "a non-negative integer", ToUInt64, out value);
    public long GetInt64(string key) => Get<long>(key, "an integer in i64 range", ToInt64);
    public bool TryGetInt64(string key, out long value) => TryGet(key, "an integer in i64 range", ToInt64, out value);
    public GgufArray GetArray(string key) => Get<GgufArray>(key, "an array", ToArray);
    public bool TryGetArray(string key, out GgufArray value) => TryGet(key, "an array", ToArray, out value);
    public string[] GetStringArray(string key) => Get<string[]>(key, "an array of strings", ToStringArray);
    public bool TryGetStringArray(string key, out string[] value) => TryGet(key, "an array of strings", ToStringArray, out value);
    public float[] GetFloat32Array(string key) => Get<float[]>(key, "an array of floats", ToFloat32Array);
    public bool TryGetFloat32Array(string key, out float[] value) => TryGet(key, "an array of floats", ToFloat32Array, out value);
    public int[] GetInt32Array(string key) => Get<int[]>(key, "an array of integers in i32 range", ToInt32Array);
    public bool TryGetInt32Array(string key, out int[] value) => TryGet(key, "an array of integers in i32 range", ToInt32Array, out value);
}
