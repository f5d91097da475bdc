// config.json (Formats.SafeTensors.HfConfig, as the file states it) to the engine's LlamaConfig and back, with
// transformers' LlamaConfig defaults and the architectures the engine runs.
using Minerva.Native.Formats;
using Minerva.Native.Formats.SafeTensors;

namespace Minerva.Native.Model;

public static class HfLlamaConfig
{
    public static readonly IReadOnlyList<string> SupportedArchitectures = ["LlamaForCausalLM", "MistralForCausalLM"];
    public static readonly IReadOnlyList<string> SupportedModelTypes = ["llama", "mistral"];

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
        if (c.HeadDim is int headDim && heads > 0 && headDim != hidden / heads)
            throw new ModelFormatException(path, -1,
                $"head_dim {headDim} differs from hidden_size / num_attention_heads = {hidden / heads}; not supported");
        var llama = new LlamaConfig
        {
            Architecture = "llama",
            VocabSize = Required(c.VocabSize, "vocab_size"),
            HiddenSize = hidden,
            Layers = Required(c.Layers, "num_hidden_layers"),
            Heads = heads,
            KvHeads = c.KvHeads ?? heads,
            FfnSize = Required(c.FfnSize, "intermediate_size"),
            ContextLength = c.MaxPositionEmbeddings ?? 2048,
            RopeTheta = (float)(c.RopeTheta ?? 10000),
            RopeScale = RopeScale(path, c.RopeScaling),
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

    // rope_scaling: null, or {"rope_type"|"type": "linear", "factor": f} (positions divided by f); other kinds are refused.
    private static float RopeScale(string path, HfRopeScaling? rs)
    {
        if (rs is null) return 1f;
        switch (rs.Type)
        {
            case "default":
                return 1f;
            case "linear":
                if (rs.Factor is not (> 0 and < double.PositiveInfinity))
                    throw new ModelFormatException(path, -1, $"linear rope_scaling needs a positive 'factor', got {rs.Json}");
                return (float)rs.Factor.Value;
            default:
                throw new ModelFormatException(path, -1, $"rope_scaling type '{rs.Type}' is not supported (only 'linear' is): {rs.Json}");
        }
    }

    /// <summary>config.json of a LlamaForCausalLM with these hyperparameters.</summary>
    public static HfConfig ToHf(LlamaConfig c, string? torchDType = null) => new()
    {
        Architectures = ["LlamaForCausalLM"],
        ModelType = "llama",
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
        RopeScaling = c.RopeScale == 1f ? null : new HfRopeScaling("linear", HfConfig.Shortest(c.RopeScale), null, null, null, ""),
        RopeTheta = HfConfig.Shortest(c.RopeTheta),
        TieWordEmbeddings = c.TiedEmbeddings,
        VocabSize = c.VocabSize,
    };
}
