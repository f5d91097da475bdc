// config.json (Formats.SafeTensors.HfConfig, as the file states it) to the engine's LlamaConfig and back, with
// transformers' defaults (LlamaConfig, MistralConfig, Qwen2Config) for the architectures the engine runs.
using Minerva.Native.Formats;
using Minerva.Native.Formats.SafeTensors;

namespace Minerva.Native.Model;

public static class HfLlamaConfig
{
    public static readonly IReadOnlyList<string> SupportedArchitectures = ["LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM"];
    public static readonly IReadOnlyList<string> SupportedModelTypes = ["llama", "mistral", "qwen2"];

    /// <summary>Reads config.json and builds the model description; anything unsupported or inconsistent is a <see cref="ModelFormatException"/>.</summary>
    public static LlamaConfig Read(string path, string? name = null) => ToLlama(HfConfig.Read(path), path, name);

    public static LlamaConfig ToLlama(HfConfig c, string path, string? name = null)
    {
        bool supported = c.Architectures.Count > 0
            ? c.Architectures.Any(SupportedArchitectures.Contains)
            : c.ModelType is not null && SupportedModelTypes.Contains(c.ModelType);
        if (!supported)
            throw new ModelFormatException(path, -1,
                $"architecture [{string.Join(", ", c.Architectures)}] (model_type '{c.ModelType}') is not supported; " +
                $"expected one of {string.Join(", ", SupportedArchitectures)}");

        int Required(int? v, string key) => v ?? throw new ModelFormatException(path, -1, $"'{key}' is missing");
        int hidden = Required(c.HiddenSize, "hidden_size");
        int heads = Required(c.Heads, "num_attention_heads");
        bool qwen2 = c.Architectures.Contains("Qwen2ForCausalLM") || c.Architectures.Count == 0 && c.ModelType == "qwen2";
        bool mistral = c.ModelType == "mistral" || c.Architectures.Contains("MistralForCausalLM");
        if (qwen2 && c.UseSlidingWindow == true)
            throw new ModelFormatException(path, -1, "Qwen2 with use_sliding_window (per-layer windows) is not supported");
        var (scale, llama3) = RopeScaling(path, c.RopeScaling);
        var llama = new LlamaConfig
        {
            Architecture = qwen2 ? "qwen2" : "llama",
            HeadDimension = c.HeadDim is int headDim && headDim != (heads > 0 ? hidden / heads : 0) ? headDim : 0,
            AttentionBias = qwen2 || c.AttentionBias == true,
            SlidingWindow = mistral ? c.SlidingWindow ?? 0 : 0,
            Llama3Rope = llama3,
            VocabSize = Required(c.VocabSize, "vocab_size"),
            HiddenSize = hidden,
            Layers = Required(c.Layers, "num_hidden_layers"),
            Heads = heads,
            KvHeads = c.KvHeads ?? heads,
            FfnSize = Required(c.FfnSize, "intermediate_size"),
            ContextLength = c.MaxPositionEmbeddings ?? 2048,
            RopeTheta = (float)(c.RopeTheta ?? 10000),
            RopeScale = scale,
            RmsEpsilon = (float)(c.RmsNormEps ?? 1e-6),
            TiedEmbeddings = c.TieWordEmbeddings ?? false,
            BosTokenId = c.BosTokenId ?? 1,
            EosTokenId = c.EosTokenIds.Count > 0 ? c.EosTokenIds[0] : 2,
            Name = c.NameOrPath is { Length: > 0 } n ? n : name,
        };
        try
        {
            llama.Validate();
        }
        catch (InvalidDataException e)
        {
            throw new ModelFormatException(path, -1, e.Message, e);
        }
        return llama;
    }

    // rope_scaling: null; {"rope_type"|"type": "linear", "factor": f} (positions divided by f); or Llama 3's
    // {"rope_type": "llama3", factor, low_freq_factor, high_freq_factor, original_max_position_embeddings}. Others are refused.
    private static (float Scale, Llama3RopeScaling? Llama3) RopeScaling(string path, HfRopeScaling? rs)
    {
        float Positive(double? v, string key) => v is > 0 and < double.PositiveInfinity
            ? (float)v.Value : throw new ModelFormatException(path, -1, $"{rs!.Type} rope_scaling needs a positive '{key}', got {rs.Json}");
        if (rs is null) return (1f, null);
        switch (rs.Type)
        {
            case "default":
                return (1f, null);
            case "linear":
                return (Positive(rs.Factor, "factor"), null);
            case "llama3":
                var llama3 = new Llama3RopeScaling(Positive(rs.Factor, "factor"), Positive(rs.LowFreqFactor, "low_freq_factor"),
                    Positive(rs.HighFreqFactor, "high_freq_factor"), (int)Positive(rs.OriginalMaxPositionEmbeddings, "original_max_position_embeddings"));
                if (llama3.HighFreqFactor <= llama3.LowFreqFactor)
                    throw new ModelFormatException(path, -1, $"llama3 rope_scaling needs high_freq_factor > low_freq_factor, got {rs.Json}");
                return (1f, llama3);
            default:
                throw new ModelFormatException(path, -1, $"rope_scaling type '{rs.Type}' is not supported (linear and llama3 are): {rs.Json}");
        }
    }

    /// <summary>config.json of a LlamaForCausalLM (Qwen2ForCausalLM for qwen2) with these hyperparameters.</summary>
    public static HfConfig ToHf(LlamaConfig c, string? torchDType = null) => new()
    {
        Architectures = [c.Architecture == "qwen2" ? "Qwen2ForCausalLM" : "LlamaForCausalLM"],
        ModelType = c.Architecture == "qwen2" ? "qwen2" : "llama",
        HeadDim = c.HeadDimension > 0 ? c.HeadDimension : null,
        AttentionBias = c.Architecture == "qwen2" ? null : c.AttentionBias,
        TorchDType = torchDType,
        BosTokenId = c.BosTokenId,
        EosTokenIds = [c.EosTokenId],
        HiddenSize = c.HiddenSize,
        FfnSize = c.FfnSize,
        MaxPositionEmbeddings = c.ContextLength,
        Heads = c.Heads,
        Layers = c.Layers,
        KvHeads = c.KvHeads,
        RmsNormEps = HfConfig.Shortest(c.RmsEpsilon),
        RopeScaling = c.Llama3Rope is { } l3
            ? new HfRopeScaling("llama3", HfConfig.Shortest(l3.Factor), HfConfig.Shortest(l3.LowFreqFactor), HfConfig.Shortest(l3.HighFreqFactor), l3.OriginalContextLength, "")
            : c.RopeScale == 1f ? null : new HfRopeScaling("linear", HfConfig.Shortest(c.RopeScale), null, null, null, ""),
        RopeTheta = HfConfig.Shortest(c.RopeTheta),
        TieWordEmbeddings = c.TiedEmbeddings,
        VocabSize = c.VocabSize,
    };
}
