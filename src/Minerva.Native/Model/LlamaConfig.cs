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
    public int BosTokenId { get; init; } = 1;
    public int EosTokenId { get; init; } = 2;
    public string? Name { get; init; }

    public int HeadDim => HiddenSize / Heads;
    public int KvDim => KvHeads * HeadDim;

    /// <summary>Checks the numbers are consistent; throws <see cref="InvalidDataException"/> naming the first problem.</summary>
    public void Validate()
    {
        void Require(bool ok, string what) { if (!ok) throw new InvalidDataException($"invalid model hyperparameters: {what}"); }
        Require(VocabSize > 0, $"vocab size {VocabSize}");
        Require(HiddenSize > 0 && Layers > 0 && Heads > 0 && KvHeads > 0 && FfnSize > 0, "sizes must be positive");
        Require(HiddenSize % Heads == 0, $"hidden size {HiddenSize} is not a multiple of {Heads} heads");
        Require(Heads % KvHeads == 0, $"{Heads} heads is not a multiple of {KvHeads} KV heads");
        Require(HeadDim % 2 == 0, $"head dim {HeadDim} must be even for RoPE");
        Require(ContextLength > 0, $"context length {ContextLength}");
        Require(RopeTheta > 0 && RopeScale > 0 && RmsEpsilon > 0, "rope theta, rope scale and rms epsilon must be positive");
    }
}
