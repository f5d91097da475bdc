// The weight set of a Llama-family model, declared once: every per-layer tensor's slot, GGUF and Hugging Face names, shape
// and RoPE permutation are rows of LayerTensors.All; loaders, backend upload, quantizer, synthetic writer and byte counts
// iterate that table, so adding a tensor (a bias, say) is one enum member, one row and one accessor here.
using Minerva.Native.Tensors;

namespace Minerva.Native.Model;

/// <summary>The tensors of one decoder layer.</summary>
internal enum LayerTensor { AttnNorm, Wq, Wk, Wv, Wo, FfnNorm, WGate, WUp, WDown, BQ, BK, BV }

/// <summary>
/// One row of the per-layer weight set: names in both schemes, <c>[Rows, Cols]</c> (row-major, Rows = 1 for a vector)
/// from the config, the heads whose rows llama.cpp's converter permutes for RoPE (0: none), whether a file may lack it
/// and, for writers, whether a model with this config has it.
/// </summary>
internal sealed record LayerTensorSpec(
    LayerTensor Slot, string GgufSuffix, string HfSuffix, Func<LlamaConfig, (long Rows, long Cols)> Shape,
    Func<LlamaConfig, int> PermuteHeads, bool Optional = false, Func<LlamaConfig, bool>? When = null)
{
    public bool InModel(LlamaConfig c) => When?.Invoke(c) ?? true;
    public string GgufName(int layer) => $"blk.{layer}.{GgufSuffix}";
    public string HfName(int layer) => $"model.layers.{layer}.{HfSuffix}";
    public bool IsVector(LlamaConfig c) => Shape(c).Rows == 1;
    /// <summary>ggml dims, innermost first.</summary>
    public long[] GgmlDims(LlamaConfig c) => Shape(c) is var (rows, cols) && rows == 1 ? [cols] : [cols, rows];
}

internal static class LayerTensors
{
    private static readonly Func<LlamaConfig, int> None = _ => 0;
    // Q/K rows (and biases) are permuted by llama.cpp's converter only where GGUF RoPE pairs adjacent values.
    private static Func<LlamaConfig, int> Permuted(Func<LlamaConfig, int> heads) =>
        c => c.GgufRopeLayout == RopeLayout.Interleaved ? heads(c) : 0;

    /// <summary>The per-layer tensors in the order llama.cpp's converter writes them.</summary>
    public static IReadOnlyList<LayerTensorSpec> All { get; } =
    [
        new(LayerTensor.AttnNorm, "attn_norm.weight", "input_layernorm.weight", c => (1, c.HiddenSize), None),
        new(LayerTensor.Wq, "attn_q.weight", "self_attn.q_proj.weight", c => (c.QDim, c.HiddenSize), Permuted(c => c.Heads)),
        new(LayerTensor.Wk, "attn_k.weight", "self_attn.k_proj.weight", c => (c.KvDim, c.HiddenSize), Permuted(c => c.KvHeads)),
        new(LayerTensor.Wv, "attn_v.weight", "self_attn.v_proj.weight", c => (c.KvDim, c.HiddenSize), None),
        new(LayerTensor.Wo, "attn_output.weight", "self_attn.o_proj.weight", c => (c.HiddenSize, c.QDim), None),
        new(LayerTensor.FfnNorm, "ffn_norm.weight", "post_attention_layernorm.weight", c => (1, c.HiddenSize), None),
        new(LayerTensor.WGate, "ffn_gate.weight", "mlp.gate_proj.weight", c => (c.FfnSize, c.HiddenSize), None),
        new(LayerTensor.WUp, "ffn_up.weight", "mlp.up_proj.weight", c => (c.FfnSize, c.HiddenSize), None),
        new(LayerTensor.WDown, "ffn_down.weight", "mlp.down_proj.weight", c => (c.HiddenSize, c.FfnSize), None),
        // Qwen2's Q/K/V projection biases (optional for every architecture, as llama.cpp loads them)
        new(LayerTensor.BQ, "attn_q.bias", "self_attn.q_proj.bias", c => (1, c.QDim), Permuted(c => c.Heads), Optional: true, When: c => c.AttentionBias),
        new(LayerTensor.BK, "attn_k.bias", "self_attn.k_proj.bias", c => (1, c.KvDim), Permuted(c => c.KvHeads), Optional: true, When: c => c.AttentionBias),
        new(LayerTensor.BV, "attn_v.bias", "self_attn.v_proj.bias", c => (1, c.KvDim), None, Optional: true, When: c => c.AttentionBias),
    ];

    public static LayerTensorSpec Spec(LayerTensor slot) => All[(int)slot];
}

/// <summary>One layer's tensors of some kind (file views, backend handles), indexed by <see cref="LayerTensor"/>.</summary>
internal sealed class LayerSet<T> where T : class
{
    private readonly T?[] _slots;

    /// <summary>Builds a layer from a getter per slot; null marks an optional tensor the model lacks.</summary>
    public LayerSet(Func<LayerTensorSpec, T?> get)
    {
        _slots = new T?[LayerTensors.All.Count];
        foreach (var spec in LayerTensors.All)
            _slots[(int)spec.Slot] = get(spec) ?? (spec.Optional ? null : throw new ArgumentException($"layer tensor {spec.Slot} is required"));
    }

    public T? this[LayerTensor slot] => _slots[(int)slot];

    /// <summary>Every tensor the layer has, in table order.</summary>
    public IEnumerable<T> Present => _slots.Where(s => s is not null)!;

    public LayerSet<TOut> Map<TOut>(Func<T, TOut> map) where TOut : class => new(spec => _slots[(int)spec.Slot] is { } t ? map(t) : null);

    public T AttnNorm => _slots[(int)LayerTensor.AttnNorm]!;
    public T Wq => _slots[(int)LayerTensor.Wq]!;
    public T Wk => _slots[(int)LayerTensor.Wk]!;
    public T Wv => _slots[(int)LayerTensor.Wv]!;
    public T Wo => _slots[(int)LayerTensor.Wo]!;
    public T FfnNorm => _slots[(int)LayerTensor.FfnNorm]!;
    public T WGate => _slots[(int)LayerTensor.WGate]!;
    public T WUp => _slots[(int)LayerTensor.WUp]!;
    public T WDown => _slots[(int)LayerTensor.WDown]!;
    public T? BQ => _slots[(int)LayerTensor.BQ];
    public T? BK => _slots[(int)LayerTensor.BK];
    public T? BV => _slots[(int)LayerTensor.BV];
}

/// <summary>
/// One set of weight handles for a Llama model, whatever the file's naming scheme
/// (GGUF <c>blk.N.attn_q.weight</c> or Hugging Face <c>model.layers.N.self_attn.q_proj.weight</c>).
/// </summary>
internal sealed record LlamaWeights(
    WeightTensor TokenEmbedding,
    WeightTensor OutputNorm,
    // The output projection; the token embedding itself when the embeddings are tied.
    WeightTensor Output,
    IReadOnlyList<LayerSet<WeightTensor>> Layers,
    // How the Q and K rows are laid out (decides the RoPE pairing).
    RopeLayout QkLayout)
{
    /// <summary>Llama 3's per-pair RoPE frequency divisors (<c>rope_freqs.weight</c>, F32 [headDim / 2]); null without.</summary>
    public WeightTensor? RopeFreqs { get; init; }

    /// <summary>Every distinct tensor once (a tied output is the embedding).</summary>
    public IEnumerable<WeightTensor> All =>
        new[] { TokenEmbedding, OutputNorm, Output }.Concat(RopeFreqs is null ? [] : [RopeFreqs])
            .Concat(Layers.SelectMany(l => l.Present)).Distinct();

    /// <summary>Bytes of weights one token reads: every layer tensor, the output norm and the output projection.</summary>
    public long BytesPerToken => Layers.Sum(l => l.Present.Sum(t => t.ByteCount)) + OutputNorm.ByteCount + Output.ByteCount;
}
