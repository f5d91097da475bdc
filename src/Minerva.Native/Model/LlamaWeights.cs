namespace Minerva.Native.Model;

/// <summary>The weights of one decoder layer.</summary>
public sealed record LayerWeights(
    WeightTensor AttnNorm,
    WeightTensor Wq, WeightTensor Wk, WeightTensor Wv, WeightTensor Wo,
    WeightTensor FfnNorm,
    WeightTensor WGate, WeightTensor WUp, WeightTensor WDown);

/// <summary>
/// One set of weight handles for a Llama model, whatever the file's naming scheme
/// (GGUF <c>blk.N.attn_q.weight</c> or Hugging Face <c>model.layers.N.self_attn.q_proj.weight</c>).
/// </summary>
public sealed record LlamaWeights(
    WeightTensor TokenEmbedding,
    WeightTensor OutputNorm,
    // The output projection; the token embedding itself when the embeddings are tied.
    WeightTensor Output,
    IReadOnlyList<LayerWeights> Layers,
    // How the Q and K rows are laid out (decides the RoPE pairing).
    RopeLayout QkLayout);
