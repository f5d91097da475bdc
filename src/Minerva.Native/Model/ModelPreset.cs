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

    public static IReadOnlyList<string> Names { get; } = ["tiny", "tinyllama-1.1b"];

    public static LlamaConfig Get(string name) => name.ToLowerInvariant() switch
    {
        "tiny" => Tiny,
        "tinyllama-1.1b" or "tinyllama" => TinyLlama,
        _ => throw new ArgumentException($"unknown preset '{name}' (one of: {string.Join(", ", Names)})"),
    };
}
