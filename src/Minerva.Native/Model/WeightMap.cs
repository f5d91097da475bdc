// One mapping from both naming schemes (GGUF blk.N.attn_q.weight, Hugging Face model.layers.N.self_attn.q_proj.weight)
// to one LlamaWeights, with shape checks against the config.
using Minerva.Native.Formats;

namespace Minerva.Native.Model;

/// <summary>The tensor names of one scheme.</summary>
public sealed record TensorNaming(
    string Embedding, string OutputNorm, string Output,
    Func<int, string> AttnNorm, Func<int, string> Wq, Func<int, string> Wk, Func<int, string> Wv, Func<int, string> Wo,
    Func<int, string> FfnNorm, Func<int, string> WGate, Func<int, string> WUp, Func<int, string> WDown)
{
    public static TensorNaming Gguf { get; } = new(
        "token_embd.weight", "output_norm.weight", "output.weight",
        l => $"blk.{l}.attn_norm.weight", l => $"blk.{l}.attn_q.weight", l => $"blk.{l}.attn_k.weight",
        l => $"blk.{l}.attn_v.weight", l => $"blk.{l}.attn_output.weight", l => $"blk.{l}.ffn_norm.weight",
        l => $"blk.{l}.ffn_gate.weight", l => $"blk.{l}.ffn_up.weight", l => $"blk.{l}.ffn_down.weight");

    public static TensorNaming HuggingFace { get; } = new(
        "model.embed_tokens.weight", "model.norm.weight", "lm_head.weight",
        l => $"model.layers.{l}.input_layernorm.weight", l => $"model.layers.{l}.self_attn.q_proj.weight",
        l => $"model.layers.{l}.self_attn.k_proj.weight", l => $"model.layers.{l}.self_attn.v_proj.weight",
        l => $"model.layers.{l}.self_attn.o_proj.weight", l => $"model.layers.{l}.post_attention_layernorm.weight",
        l => $"model.layers.{l}.mlp.gate_proj.weight", l => $"model.layers.{l}.mlp.up_proj.weight",
        l => $"model.layers.{l}.mlp.down_proj.weight");
}

public static class WeightMap
{
    /// <summary>Builds the weight handles; <paramref name="find"/> returns a tensor by name or null.</summary>
    public static LlamaWeights Build(string path, LlamaConfig c, TensorNaming n, Func<string, WeightTensor?> find, RopeLayout layout)
    {
        WeightTensor Get(string name, params long[] dims)
        {
            var t = find(name) ?? throw new ModelFormatException(path, -1, $"missing tensor '{name}'");
            if (!t.Dims.AsSpan().SequenceEqual(dims))
                throw new ModelFormatException(path, -1, $"tensor '{name}' has shape [{string.Join(", ", t.Dims)}], expected [{string.Join(", ", dims)}] (ggml order)");
            return t;
        }
        long d = c.HiddenSize, kv = c.KvDim, ff = c.FfnSize, vocab = c.VocabSize;
        var embedding = Get(n.Embedding, d, vocab);
        var output = find(n.Output) is null ? embedding : Get(n.Output, d, vocab);
        var layers = new LayerWeights[c.Layers];
        for (int l = 0; l < c.Layers; l++)
            layers[l] = new LayerWeights(
                Get(n.AttnNorm(l), d), Get(n.Wq(l), d, d), Get(n.Wk(l), d, kv), Get(n.Wv(l), d, kv), Get(n.Wo(l), d, d),
                Get(n.FfnNorm(l), d), Get(n.WGate(l), d, ff), Get(n.WUp(l), d, ff), Get(n.WDown(l), ff, d));
        return new LlamaWeights(embedding, Get(n.OutputNorm, d), output, layers, layout);
    }
}
