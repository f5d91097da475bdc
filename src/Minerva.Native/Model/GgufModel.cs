// LlamaConfig and weights from a GGUF file's {arch}.* metadata and tensor table (llama.cpp's llm_load_hparams keys) for
// the llama, mistral and qwen2 architectures.
using Minerva.Native.Formats;
using Minerva.Native.Tensors;
using Minerva.Native.Formats.Gguf;

namespace Minerva.Native.Model;

public static class GgufModel
{
    public static readonly IReadOnlyList<string> SupportedArchitectures = ["llama", "mistral", "qwen2"];

    public static LlamaConfig ReadConfig(GgufFile f)
    {
        if (!f.TryGetString("general.architecture", out string arch))
            throw new ModelFormatException(f.Path, -1, "no general.architecture key: not a model file");
        if (!SupportedArchitectures.Contains(arch))
            throw new NotSupportedException($"{f.Path}: architecture '{arch}' is not supported (supported: {string.Join(", ", SupportedArchitectures)})");

        int Req(string key) => f.TryGetUInt32($"{arch}.{key}", out uint v) && v <= int.MaxValue
            ? (int)v : throw new ModelFormatException(f.Path, -1, $"missing or invalid {arch}.{key}");
        int vocab = f.TryGetUInt32($"{arch}.vocab_size", out uint vs) ? (int)vs
            : f.TryGetArray("tokenizer.ggml.tokens", out var tokens) ? tokens.Count
            : (int)(f.FindTensor("token_embd.weight")?.Dims is { Length: 2 } dims ? dims[1] : 0);
        int heads = Req("attention.head_count");
        float scale = 1f;
        if (f.TryGetString($"{arch}.rope.scaling.type", out string scaling) && scaling is not ("none" or "linear"))
            throw new NotSupportedException($"{f.Path}: RoPE scaling '{scaling}' is not supported (none, linear; Llama 3's is the rope_freqs.weight tensor)");
        if (f.TryGetFloat32($"{arch}.rope.scaling.factor", out float factor) && factor > 0) scale = factor;
        else if (f.TryGetFloat32($"{arch}.rope.scale_linear", out float linear) && linear > 0) scale = linear;

        var config = new LlamaConfig
        {
            Architecture = arch,
            Name = f.TryGetString("general.name", out string name) ? name : null,
            VocabSize = vocab,
            HiddenSize = Req("embedding_length"),
            Layers = Req("block_count"),
            Heads = heads,
            KvHeads = f.TryGetUInt32($"{arch}.attention.head_count_kv", out uint kv) ? (int)kv : heads,
            FfnSize = Req("feed_forward_length"),
            ContextLength = Req("context_length"),
            RopeTheta = f.TryGetFloat32($"{arch}.rope.freq_base", out float theta) ? theta : 10000f,
            RopeScale = scale,
            RmsEpsilon = f.TryGetFloat32($"{arch}.attention.layer_norm_rms_epsilon", out float eps) ? eps : 1e-5f,
            TiedEmbeddings = f.FindTensor("output.weight") is null,
            HeadDimension = HeadDimension(f, arch),
            SlidingWindow = f.TryGetUInt32($"{arch}.attention.sliding_window", out uint window) ? (int)window : 0,
            AttentionBias = f.FindTensor("blk.0.attn_q.bias") is not null,
            BosTokenId = f.TryGetUInt32("tokenizer.ggml.bos_token_id", out uint bos) ? (int)bos : 1,
            EosTokenId = f.TryGetUInt32("tokenizer.ggml.eos_token_id", out uint eos) ? (int)eos : 2,
        };
        if (f.FindTensor(RopeFreqFactors.TensorName) is not null) config = config with { RopeScaling = "llama3" };
        try { config.Validate(); }
        catch (InvalidDataException e) { throw new ModelFormatException(f.Path, -1, e.Message); }
        if (f.TryGetUInt32($"{arch}.rope.dimension_count", out uint ropeDims) && ropeDims != config.HeadDim)
            throw new NotSupportedException($"{f.Path}: partial RoPE ({ropeDims} of {config.HeadDim} dims) is not supported");
        return config;
    }

    // key_length / value_length: llama.cpp's n_embd_head_k / _v, hidden / heads when absent; they must agree here.
    private static int HeadDimension(GgufFile f, string arch)
    {
        bool hasK = f.TryGetUInt32($"{arch}.attention.key_length", out uint k), hasV = f.TryGetUInt32($"{arch}.attention.value_length", out uint v);
        if (hasK && hasV && k != v)
            throw new NotSupportedException($"{f.Path}: key_length {k} differs from value_length {v}; not supported");
        return hasK ? (int)k : hasV ? (int)v : 0;
    }

    /// <summary>
    /// Weights as zero-copy views of the mapping. Llama/Mistral Q/K rows are permuted for adjacent-pair RoPE, Qwen2's
    /// are not (<see cref="LlamaConfig.GgufRopeLayout"/>); rope_freqs.weight, when present, holds Llama 3's factors.
    /// </summary>
    internal static unsafe LlamaWeights ReadWeights(GgufFile f, LlamaConfig config)
    {
        WeightTensor? Find(string name) => f.FindTensor(name) is { } t ? new WeightTensor(t.Name, t.Type, t.Dims, f.TensorData(t), t.ByteSize) { FileMapped = true } : null;
        var weights = WeightMap.Build(f.Path, config, TensorNaming.Gguf, Find, config.GgufRopeLayout);
        if (Find(RopeFreqFactors.TensorName) is not { } freqs) return weights;
        if (freqs.Type != GgmlType.F32 || freqs.Dims is not [var n] || n != config.HeadDim / 2)
            throw new ModelFormatException(f.Path, -1, $"{freqs} should be F32 [{config.HeadDim / 2}]");
        return weights with { RopeFreqs = freqs };
    }
}
