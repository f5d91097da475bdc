using Minerva.Native.Tensors;

namespace Minerva.Native.Model;

/// <summary>Hyperparameters of a Llama-family model, whatever file they came from.</summary>
public sealed record LlamaConfig
{
    public required string Architecture { get; init; }
    public required int VocabSize { get; init; }
    public required int HiddenSize { get; init; }
    public required int Layers { get; init; }
    public required int Heads { get; init; }
    public required int KvHeads { get; init; }
    public required int FfnSize { get; init; }
    public required int ContextLength { get; init; }
    public float RopeTheta { get; init; } = 10000f;
    /// <summary>Linear RoPE scaling factor (positions are divided by it); 1 means none.</summary>
    public float RopeScale { get; init; } = 1f;
    public float RmsEpsilon { get; init; } = 1e-5f;
    public bool TiedEmbeddings { get; init; }
    /// <summary>The Q/K/V projections have biases (Qwen2; Llama-family files may carry them too).</summary>
    public bool AttentionBias { get; init; }
    /// <summary>Size of one attention head; 0 means hidden / heads (Mistral-Nemo: 128 with hidden 5120 and 32 heads).</summary>
    public int HeadDimension { get; init; }
    /// <summary>Attention sees only the last this many positions (Mistral v0.1's sliding window); 0 means all of them.</summary>
    public int SlidingWindow { get; init; }
    /// <summary>
    /// How positions are scaled for RoPE: "none", "linear" (<see cref="RopeScale"/>) or "llama3" (per-pair freq factors:
    /// <see cref="Llama3Rope"/>, or a GGUF file's rope_freqs.weight, which sets this).
    /// </summary>
    public string RopeScaling
    {
        get => _ropeScaling ?? (Llama3Rope is not null ? "llama3" : RopeScale != 1f ? "linear" : "none");
        init => _ropeScaling = value;
    }
    private readonly string? _ropeScaling;
    /// <summary>Llama 3's scaling parameters, when config.json gives them (a GGUF file stores the factors as rope_freqs.weight).</summary>
    public Llama3RopeScaling? Llama3Rope { get; init; }
    public int BosTokenId { get; init; } = 1;
    public int EosTokenId { get; init; } = 2;
    public string? Name { get; init; }

    /// <summary>
    /// How a GGUF file of this architecture lays out Q and K rows: llama.cpp's converter permutes Llama/Mistral rows for
    /// ggml's "norm" RoPE (adjacent pairs); Qwen2 keeps Hugging Face's order and uses "neox" RoPE (halves).
    /// </summary>
    public RopeLayout GgufRopeLayout => Architecture == "qwen2" ? RopeLayout.HalfSplit : RopeLayout.Interleaved;

    public int HeadDim => HeadDimension > 0 ? HeadDimension : HiddenSize / Heads;
    /// <summary>Width of the query projection (heads x head dim).</summary>
    public int QDim => Heads * HeadDim;
    public int KvDim => KvHeads * HeadDim;

    /// <summary>Checks the numbers are consistent; throws <see cref="InvalidDataException"/> naming the first problem.</summary>
    public void Validate()
    {
        void Require(bool ok, string what) { if (!ok) throw new InvalidDataException($"invalid model hyperparameters: {what}"); }
        Require(VocabSize > 0, $"vocab size {VocabSize}");
        Require(HiddenSize > 0 && Layers > 0 && Heads > 0 && KvHeads > 0 && FfnSize > 0, "sizes must be positive");
        Require(HeadDimension > 0 || HiddenSize % Heads == 0, $"hidden size {HiddenSize} is not a multiple of {Heads} heads");
        Require(HeadDimension >= 0 && SlidingWindow >= 0, "head dimension and sliding window must not be negative");
        Require(Heads % KvHeads == 0, $"{Heads} heads is not a multiple of {KvHeads} KV heads");
        Require(HeadDim % 2 == 0, $"head dim {HeadDim} must be even for RoPE");
        Require(ContextLength > 0, $"context length {ContextLength}");
        Require(RopeTheta > 0 && RopeScale > 0 && RmsEpsilon > 0, "rope theta, rope scale and rms epsilon must be positive");
    }
}
