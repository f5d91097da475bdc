// Hugging Face config.json of LlamaForCausalLM / MistralForCausalLM (transformers LlamaConfig field names and defaults)
// mapped onto the engine's LlamaConfig.
using System.Text.Json;
using Minerva.Native.Model;

namespace Minerva.Native.Formats.SafeTensors;

/// <summary>What config.json says: the hyperparameters plus the fields that do not belong in <see cref="LlamaConfig"/>.</summary>
public sealed record HfConfig(LlamaConfig Llama, string ModelType, IReadOnlyList<string> Architectures, string? TorchDType)
{
    public static readonly IReadOnlyList<string> SupportedArchitectures = ["LlamaForCausalLM", "MistralForCausalLM"];
    public static readonly IReadOnlyList<string> SupportedModelTypes = ["llama", "mistral"];

    /// <summary>Reads and checks config.json; anything missing, malformed or unsupported is a <see cref="ModelFormatException"/>.</summary>
    public static HfConfig Read(string path, string? name = null)
    {
        using var doc = HfJson.Load(path);
        JsonElement c = doc.RootElement;
        string? modelType = c.Str(path, "model_type");
        var architectures = new List<string>();
        if (c.Has("architectures", out var archs))
        {
            if (archs.ValueKind != JsonValueKind.Array) throw new ModelFormatException(path, -1, "'architectures' is not an array");
            foreach (var a in archs.EnumerateArray())
                architectures.Add(a.ValueKind == JsonValueKind.String ? a.GetString()! : a.GetRawText());
        }
        bool supported = architectures.Count > 0
            ? architectures.Any(SupportedArchitectures.Contains)
            : modelType is not null && SupportedModelTypes.Contains(modelType);
        if (!supported)
            throw new ModelFormatException(path, -1,
                $"architecture [{string.Join(", ", architectures)}] (model_type '{modelType}') is not supported; " +
                $"expected one of {string.Join(", ", SupportedArchitectures)}");

        int hidden = c.Int(path, "hidden_size");
        int heads = c.Int(path, "num_attention_heads");
        if (c.Has("head_dim", out _) && heads > 0 && c.Int(path, "head_dim") != hidden / heads)
            throw new ModelFormatException(path, -1,
                $"head_dim {c.Int(path, "head_dim")} differs from hidden_size / num_attention_heads = {hidden / heads}; not supported");
        float ropeScale = RopeScale(path, c);
        var llama = new LlamaConfig
        {
            Architecture = "llama",
            VocabSize = c.Int(path, "vocab_size"),
            HiddenSize = hidden,
            Layers = c.Int(path, "num_hidden_layers"),
            Heads = heads,
            KvHeads = c.Int(path, "num_key_value_heads", heads),
            FfnSize = c.Int(path, "intermediate_size"),
            ContextLength = c.Int(path, "max_position_embeddings", 2048),
            RopeTheta = (float)c.Number(path, "rope_theta", 10000),
            RopeScale = ropeScale,
            RmsEpsilon = (float)c.Number(path, "rms_norm_eps", 1e-6),
            TiedEmbeddings = c.Bool(path, "tie_word_embeddings", false),
            BosTokenId = c.Int(path, "bos_token_id", 1),
            EosTokenId = EosToken(path, c),
            Name = c.Str(path, "_name_or_path") is { Length: > 0 } n ? n : name,
        };
        try
        {
            llama.Validate();
        }
        catch (InvalidDataException e)
        {
            throw new ModelFormatException(path, -1, e.Message, e);
        }
        string? dtype = c.Str(path, "torch_dtype") ?? c.Str(path, "dtype");
        return new HfConfig(llama, modelType ?? "llama", architectures, dtype);
    }

    // rope_scaling: null, or {"rope_type"|"type": "linear", "factor": f} (positions divided by f); other kinds are refused.
    private static float RopeScale(string path, JsonElement c)
    {
        if (!c.Has("rope_scaling", out var rs)) return 1f;
        if (rs.ValueKind != JsonValueKind.Object) throw new ModelFormatException(path, -1, "'rope_scaling' is not an object");
        string? kind = rs.Str(path, "rope_type") ?? rs.Str(path, "type");
        switch (kind)
        {
            case "default":
                return 1f;
            case "linear":
                double factor = rs.Number(path, "factor", double.NaN);
                if (!(factor > 0) || double.IsInfinity(factor))
                    throw new ModelFormatException(path, -1, $"linear rope_scaling needs a positive 'factor', got {rs.GetRawText()}");
                return (float)factor;
            default:
                throw new ModelFormatException(path, -1,
                    $"rope_scaling type '{kind}' is not supported (only 'linear' is): {rs.GetRawText()}");
        }
    }

    private static int EosToken(string path, JsonElement c)
    {
        if (!c.Has("eos_token_id", out var v)) return 2;
        if (v.ValueKind == JsonValueKind.Array)
        {
            if (v.GetArrayLength() == 0) return 2;
            var first = v[0];
            return first.ValueKind == JsonValueKind.Number && first.TryGetInt32(out int id)
                ? id
                : throw new ModelFormatException(path, -1, $"'eos_token_id' holds {first.GetRawText()}, not an integer");
        }
        return c.Int(path, "eos_token_id");
    }
}
