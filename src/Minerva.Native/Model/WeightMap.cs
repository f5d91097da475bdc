// One mapping from both naming schemes (GGUF blk.N.attn_q.weight, Hugging Face model.layers.N.self_attn.q_proj.weight)
// to one LlamaWeights, with shape checks against the config.
using Minerva.Native.Formats;
using Minerva.Native.Tensors;

namespace Minerva.Native.Model;

/// <summary>The naming scheme of a file: GGUF (llama.cpp) or Hugging Face (transformers).</summary>
internal enum TensorNaming { Gguf, HuggingFace }

internal static class WeightMap
{
    public static string Embedding(TensorNaming n) => n == TensorNaming.Gguf ? "token_embd.weight" : "model.embed_tokens.weight";
    public static string OutputNorm(TensorNaming n) => n == TensorNaming.Gguf ? "output_norm.weight" : "model.norm.weight";
    public static string Output(TensorNaming n) => n == TensorNaming.Gguf ? "output.weight" : "lm_head.weight";
    public static string Name(this LayerTensorSpec spec, TensorNaming n, int layer) =>
        n == TensorNaming.Gguf ? spec.GgufName(layer) : spec.HfName(layer);

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
        long d = c.HiddenSize, vocab = c.VocabSize;
        var embedding = Get(Embedding(n), d, vocab);
        var output = find(Output(n)) is null ? embedding : Get(Output(n), d, vocab);
        var layers = new LayerSet<WeightTensor>[c.Layers];
        for (int l = 0; l < c.Layers; l++)
        {
            int layer = l;
            layers[l] = new LayerSet<WeightTensor>(spec =>
                spec.Optional && find(spec.Name(n, layer)) is null ? null : Get(spec.Name(n, layer), spec.GgmlDims(c)));
        }
        return new LlamaWeights(embedding, Get(OutputNorm(n), d), output, layers, layout);
    }
}
