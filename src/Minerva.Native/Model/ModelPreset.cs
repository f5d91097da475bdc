namespace Minerva.Native.Model;

/// <summary>Architectures the synthetic-model generator can write.</summary>
public static class ModelPreset
{
    /// <summary>A small Llama (GQA, every dimension a multiple of 256 so that K-quants apply) for tests.</summary>
    public static LlamaConfig Tiny { get; } = new()
    {
        Architecture = "llama", Name = "minerva-tiny",
        VocabSize = 1024, HiddenSize = 256, Layers = 2, Heads = 4, KvHeads = 2, FfnSize = 512, ContextLength = 512,
        RopeTheta = 10000f, RmsEpsilon = 1e-5f,
    };

    /// <summary>TinyLlama-1.1B's exact shape.</summary>
    public static LlamaConfig TinyLlama { get; } = new()
    {
        Architecture = "llama", Name = "minerva-synthetic-tinyllama-1.1b",
        VocabSize = 32000, HiddenSize = 2048, Layers = 22, Heads = 32, KvHeads = 4, FfnSize = 5632, ContextLength = 2048,
        RopeTheta = 10000f, RmsEpsilon = 1e-5f,
    };

    /// <summary>Llama-3.2-1B(-Instruct)'s shape: tied embeddings, llama3 RoPE scaling, theta 500000.</summary>
    public static LlamaConfig Llama32_1B { get; } = new()
    {
        Architecture = "llama", Name = "minerva-synthetic-llama-3.2-1b",
        VocabSize = 128256, HiddenSize = 2048, Layers = 16, Heads = 32, KvHeads = 8, FfnSize = 8192, ContextLength = 131072,
        RopeTheta = 500000f, RmsEpsilon = 1e-5f, TiedEmbeddings = true, BosTokenId = 128000, EosTokenId = 128009,
        Llama3Rope = new Llama3RopeScaling(32f, 1f, 4f, 8192),
    };

    /// <summary>SmolLM2-135M(-Instruct)'s shape: 9 heads over 3 KV heads, tied embeddings.</summary>
    public static LlamaConfig SmolLM2_135M { get; } = new()
    {
        Architecture = "llama", Name = "minerva-synthetic-smollm2-135m",
        VocabSize = 49152, HiddenSize = 576, Layers = 30, Heads = 9, KvHeads = 3, FfnSize = 1536, ContextLength = 8192,
        RopeTheta = 100000f, RmsEpsilon = 1e-5f, TiedEmbeddings = true, BosTokenId = 1, EosTokenId = 2,
    };

    /// <summary>Qwen2.5-0.5B(-Instruct)'s shape: Q/K/V biases, neox RoPE, tied embeddings.</summary>
    public static LlamaConfig Qwen25_05B { get; } = new()
    {
        Architecture = "qwen2", Name = "minerva-synthetic-qwen2.5-0.5b",
        VocabSize = 151936, HiddenSize = 896, Layers = 24, Heads = 14, KvHeads = 2, FfnSize = 4864, ContextLength = 32768,
        RopeTheta = 1000000f, RmsEpsilon = 1e-6f, TiedEmbeddings = true, AttentionBias = true, BosTokenId = 151643, EosTokenId = 151645,
    };

    public static IReadOnlyList<string> Names { get; } = ["tiny", "tinyllama-1.1b", "llama-3.2-1b", "smollm2-135m", "qwen2.5-0.5b"];

    /// <summary>The synthetic vocabulary of a preset: the byte-level BPE kind and chat format of the family it imitates.</summary>
    public static SyntheticModels.TokenizerSpec TokenizerFor(string name) => name.ToLowerInvariant() switch
    {
        "llama-3.2-1b" => new("llama3", SyntheticModels.Llama3Template),
        "smollm2-135m" => new("smollm", SyntheticModels.ChatMlTemplate),
        "qwen2.5-0.5b" => new("qwen2", SyntheticModels.ChatMlTemplate),
        _ => SyntheticModels.TokenizerSpec.SentencePiece,
    };

    public static LlamaConfig Get(string name) => name.ToLowerInvariant() switch
    {
        "tiny" => Tiny,
        "tinyllama-1.1b" or "tinyllama" => TinyLlama,
        "llama-3.2-1b" => Llama32_1B,
        "smollm2-135m" => SmolLM2_135M,
        "qwen2.5-0.5b" => Qwen25_05B,
        _ => throw new ArgumentException($"unknown preset '{name}' (one of: {string.Join(", ", Names)})"),
    };
}
