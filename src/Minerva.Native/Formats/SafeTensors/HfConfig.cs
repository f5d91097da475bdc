// config.json of a Hugging Face causal LM (transformers' PretrainedConfig field names), read as the file states it:
// types are checked here, meaning (which architectures run, defaults, consistency) is the model layer's (Model/HfLlamaConfig.cs).
using System.Globalization;
using System.Text.Json;

namespace Minerva.Native.Formats.SafeTensors;

/// <summary>rope_scaling of config.json: its kind ("rope_type", or the older "type") and the numbers the kinds use.</summary>
public sealed record HfRopeScaling(
    string? Type, double? Factor, double? LowFreqFactor, double? HighFreqFactor, int? OriginalMaxPositionEmbeddings, string Json);

/// <summary>The fields of config.json the engine reads; null where the file does not say.</summary>
public sealed record HfConfig
{
    public IReadOnlyList<string> Architectures { get; init; } = [];
    public string? ModelType { get; init; }
    public string? TorchDType { get; init; }
    public string? NameOrPath { get; init; }
    public int? VocabSize { get; init; }
    public int? HiddenSize { get; init; }
    public int? Layers { get; init; }
    public int? Heads { get; init; }
    public int? KvHeads { get; init; }
    public int? HeadDim { get; init; }
    public int? FfnSize { get; init; }
    public int? MaxPositionEmbeddings { get; init; }
    public int? SlidingWindow { get; init; }
    public bool? UseSlidingWindow { get; init; }
    public double? RopeTheta { get; init; }
    public HfRopeScaling? RopeScaling { get; init; }
    public double? RmsNormEps { get; init; }
    public bool? TieWordEmbeddings { get; init; }
    public bool? AttentionBias { get; init; }
    public int? BosTokenId { get; init; }
    /// <summary>eos_token_id, a number or a list of numbers in the file.</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary>Reads config.json; a malformed file or a field of the wrong type is a <see cref="ModelFormatException"/>.</summary>
    public static HfConfig Read(string path)
    {
        using var doc = HfJson.Load(path);
        JsonElement c = doc.RootElement;
        var architectures = new List<string>();
        if (c.Has("architectures", out var archs))
        {
            if (archs.ValueKind != JsonValueKind.Array) throw new ModelFormatException(path, -1, "'architectures' is not an array");
            foreach (var a in archs.EnumerateArray())
                architectures.Add(a.ValueKind == JsonValueKind.String ? a.GetString()! : a.GetRawText());
        }
        int? Int(string key) => c.Has(key, out _) ? c.Int(path, key) : null;
        double? Number(string key) => c.Has(key, out _) ? c.Number(path, key, 0) : null;
        bool? Bool(string key) => c.Has(key, out _) ? c.Bool(path, key, false) : null;
        return new HfConfig
        {
            Architectures = architectures,
            ModelType = c.Str(path, "model_type"),
            TorchDType = c.Str(path, "torch_dtype") ?? c.Str(path, "dtype"),
            NameOrPath = c.Str(path, "_name_or_path"),
            HiddenSize = Int("hidden_size"),
            Heads = Int("num_attention_heads"),
            HeadDim = Int("head_dim"),
            VocabSize = Int("vocab_size"),
            Layers = Int("num_hidden_layers"),
            KvHeads = Int("num_key_value_heads"),
            FfnSize = Int("intermediate_size"),
            MaxPositionEmbeddings = Int("max_position_embeddings"),
            SlidingWindow = Int("sliding_window"),
            UseSlidingWindow = Bool("use_sliding_window"),
            RopeTheta = Number("rope_theta"),
            RopeScaling = ReadRopeScaling(path, c),
            RmsNormEps = Number("rms_norm_eps"),
            TieWordEmbeddings = Bool("tie_word_embeddings"),
            AttentionBias = Bool("attention_bias"),
            BosTokenId = Int("bos_token_id"),
            EosTokenIds = ReadEos(path, c),
        };
    }

    private static HfRopeScaling? ReadRopeScaling(string path, JsonElement c)
    {
        if (!c.Has("rope_scaling", out var rs)) return null;
        if (rs.ValueKind != JsonValueKind.Object) throw new ModelFormatException(path, -1, "'rope_scaling' is not an object");
        double? Number(string key) => rs.Has(key, out _) ? rs.Number(path, key, 0) : null;
        return new HfRopeScaling(rs.Str(path, "rope_type") ?? rs.Str(path, "type"), Number("factor"), Number("low_freq_factor"),
            Number("high_freq_factor"), rs.Has("original_max_position_embeddings", out _) ? rs.Int(path, "original_max_position_embeddings") : null,
            rs.GetRawText());
    }

    private static IReadOnlyList<int> ReadEos(string path, JsonElement c)
    {
        if (!c.Has("eos_token_id", out var v)) return [];
        if (v.ValueKind != JsonValueKind.Array) return [c.Int(path, "eos_token_id")];
        var ids = new List<int>();
        foreach (var e in v.EnumerateArray())
            ids.Add(e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int id)
                ? id : throw new ModelFormatException(path, -1, $"'eos_token_id' holds {e.GetRawText()}, not an integer"));
        return ids;
    }

    /// <summary>The file as transformers' save_pretrained writes it (keys sorted, indent 2); null fields are left out.</summary>
    public string ToJson()
    {
        var ms = new MemoryStream();
        using (var json = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            void Num(string key, double? v) { if (v is double d) json.WriteNumber(key, d); }
            json.WriteStartObject();
            json.WriteStartArray("architectures");
            foreach (string a in Architectures) json.WriteStringValue(a);
            json.WriteEndArray();
            if (AttentionBias is bool bias) json.WriteBoolean("attention_bias", bias);
            Num("bos_token_id", BosTokenId);
            if (EosTokenIds.Count == 1) json.WriteNumber("eos_token_id", EosTokenIds[0]);
            else if (EosTokenIds.Count > 1)
            {
                json.WriteStartArray("eos_token_id");
                foreach (int id in EosTokenIds) json.WriteNumberValue(id);
                json.WriteEndArray();
            }
            Num("head_dim", HeadDim);
            json.WriteString("hidden_act", "silu");
            Num("hidden_size", HiddenSize);
            Num("intermediate_size", FfnSize);
            Num("max_position_embeddings", MaxPositionEmbeddings);
            if (ModelType is not null) json.WriteString("model_type", ModelType);
            Num("num_attention_heads", Heads);
            Num("num_hidden_layers", Layers);
            Num("num_key_value_heads", KvHeads);
            Num("rms_norm_eps", RmsNormEps);
            if (RopeScaling is null) json.WriteNull("rope_scaling");
            else
            {
                json.WriteStartObject("rope_scaling");
                Num("factor", RopeScaling.Factor);
                Num("high_freq_factor", RopeScaling.HighFreqFactor);
                Num("low_freq_factor", RopeScaling.LowFreqFactor);
                Num("original_max_position_embeddings", RopeScaling.OriginalMaxPositionEmbeddings);
                if (RopeScaling.Type is not null) json.WriteString("rope_type", RopeScaling.Type);
                json.WriteEndObject();
            }
            Num("rope_theta", RopeTheta);
            Num("sliding_window", SlidingWindow);
            if (TieWordEmbeddings is bool tied) json.WriteBoolean("tie_word_embeddings", tied);
            if (TorchDType is not null) json.WriteString("torch_dtype", TorchDType);
            if (UseSlidingWindow is bool usw) json.WriteBoolean("use_sliding_window", usw);
            Num("vocab_size", VocabSize);
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }

    /// <summary>The float's shortest round-trip decimal, so 1e-5f is written 1E-05 and reads back as the same float.</summary>
    public static double Shortest(float f) => double.Parse(f.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
