// `quantize`: GGUF (F32/F16/BF16) or a safetensors folder in, GGUF out with llama.cpp's per-tensor type mix. Streams
// tensor by tensor (row batches), so memory stays near one batch of rows whatever the model size. Safetensors input is
// renamed to GGUF's scheme with the Q/K rows permuted as llama.cpp's converter does, so llama.cpp runs the result as is.
using Minerva.Native.Formats;
using Minerva.Native.Formats.Gguf;
using Minerva.Native.Model;

namespace Minerva.Native.Quantization;

public static class ModelQuantizer
{
    public sealed record Result(int Tensors, long InputBytes, long OutputBytes, IReadOnlyDictionary<GgmlType, int> TypeCounts);

    public static Result Quantize(string input, string output, QuantMix mix, IProgress<double>? progress = null)
    {
        if (Path.GetFullPath(input) == Path.GetFullPath(output)) throw new ArgumentException("input and output are the same file");
        using var source = ModelSource.Open(input);
        var c = source.Config;
        var plan = Plan(source, mix).ToList();

        var w = new GgufWriter();
        if (source.Format == "gguf")
        {
            using var f = GgufFile.Open(input);
            foreach (var e in f.Metadata)
                if (e.Key is not ("general.file_type" or "general.quantization_version" or "general.alignment")) w.AddMetadata(e.Key, e.Value);
        }
        else AddMetadataFromConfig(w, c, source.Tokenizer);
        w.AddMetadata("general.file_type", mix.LlamaFileType);
        if (GgmlTypes.Info(mix.BaseType).IsQuantized) w.AddMetadata("general.quantization_version", 2u);
        foreach (var p in plan) w.AddTensor(p.Name, p.Type, p.Source.Dims);

        long totalRows = plan.Sum(p => p.Source.Rows), done = 0;
        string temp = output + ".partial";
        long written;
        try
        {
            written = w.Write(temp, (i, stream) => Encode(stream, plan[i], n => progress?.Report((done += n) / (double)totalRows)));
            File.Move(temp, output, overwrite: true);
        }
        finally { File.Delete(temp); }
        return new Result(plan.Count, source.FileBytes, written,
            plan.GroupBy(p => p.Type).ToDictionary(g => g.Key, g => g.Count()));
    }

    private sealed record Item(string Name, WeightTensor Source, GgmlType Type, int PermuteHeads);

    private static IEnumerable<Item> Plan(ModelSource source, QuantMix mix)
    {
        var c = source.Config;
        var wts = source.Weights;
        bool hf = wts.QkLayout == RopeLayout.HalfSplit;
        var n = TensorNaming.Gguf;
        bool tied = ReferenceEquals(wts.Output, wts.TokenEmbedding);
        Item Make(string name, WeightTensor t, int permute = 0)
        {
            if (!QuantRegistry.IsSupported(t.Type))
                throw new NotSupportedException($"{source.Path}: tensor {t.Name} has type {t.Type}, which cannot be re-quantized");
            return new Item(name, t, mix.TypeFor(name, t.Dims, c.Layers, c.Heads / c.KvHeads, !tied), hf ? permute : 0);
        }
        yield return Make(n.Embedding, wts.TokenEmbedding);
        for (int l = 0; l < c.Layers; l++)
        {
            var L = wts.Layers[l];
            yield return Make(n.AttnNorm(l), L.AttnNorm);
            yield return Make(n.Wq(l), L.Wq, c.Heads);
            yield return Make(n.Wk(l), L.Wk, c.KvHeads);
            yield return Make(n.Wv(l), L.Wv);
            yield return Make(n.Wo(l), L.Wo);
            yield return Make(n.FfnNorm(l), L.FfnNorm);
            yield return Make(n.WGate(l), L.WGate);
            yield return Make(n.WUp(l), L.WUp);
            yield return Make(n.WDown(l), L.WDown);
        }
        yield return Make(n.OutputNorm, wts.OutputNorm);
        if (!tied) yield return Make(n.Output, wts.Output);
    }

    private static unsafe void Encode(Stream stream, Item item, Action<long> progress)
    {
        var t = item.Source;
        var srcTraits = QuantRegistry.Get(t.Type);
        long headDim = item.PermuteHeads > 0 ? t.Rows / item.PermuteHeads : 0;
        TensorEncoder.WriteRows(stream, item.Type, t.Rows, t.Columns, (row, dst) =>
        {
            long src = row;
            if (headDim > 0)
            {
                // GGUF row (head, i, pair) ← Hugging Face row (head, pair, i): llama.cpp's convert permute().
                long head = row / headDim, within = row % headDim;
                src = head * headDim + (within % 2) * (headDim / 2) + within / 2;
            }
            srcTraits.Dequantize(t.Row(src), dst);
        }, progress);
    }

    private static void AddMetadataFromConfig(GgufWriter w, LlamaConfig c, Tokenization.LlamaTokenizer tok)
    {
        w.AddMetadata("general.architecture", "llama");
        w.AddMetadata("general.name", c.Name ?? "model");
        w.AddMetadata("llama.vocab_size", (uint)c.VocabSize);
        w.AddMetadata("llama.context_length", (uint)c.ContextLength);
        w.AddMetadata("llama.embedding_length", (uint)c.HiddenSize);
        w.AddMetadata("llama.block_count", (uint)c.Layers);
        w.AddMetadata("llama.feed_forward_length", (uint)c.FfnSize);
        w.AddMetadata("llama.rope.dimension_count", (uint)c.HeadDim);
        w.AddMetadata("llama.attention.head_count", (uint)c.Heads);
        w.AddMetadata("llama.attention.head_count_kv", (uint)c.KvHeads);
        w.AddMetadata("llama.attention.layer_norm_rms_epsilon", c.RmsEpsilon);
        w.AddMetadata("llama.rope.freq_base", c.RopeTheta);
        if (c.RopeScale != 1f)
        {
            w.AddMetadata("llama.rope.scaling.type", "linear");
            w.AddMetadata("llama.rope.scaling.factor", c.RopeScale);
        }
        var v = tok.Vocabulary;
        w.AddMetadata("tokenizer.ggml.model", "llama");
        w.AddMetadata("tokenizer.ggml.tokens", v.Tokens.ToArray());
        w.AddMetadata("tokenizer.ggml.scores", v.Scores.ToArray());
        w.AddMetadata("tokenizer.ggml.token_type", v.Types.Select(t => (int)t).ToArray());
        w.AddMetadata("tokenizer.ggml.bos_token_id", (uint)tok.Bos);
        w.AddMetadata("tokenizer.ggml.eos_token_id", (uint)tok.Eos);
        w.AddMetadata("tokenizer.ggml.unknown_token_id", (uint)tok.Unk);
        w.AddMetadata("tokenizer.ggml.add_bos_token", tok.AddBos);
        w.AddMetadata("tokenizer.ggml.add_eos_token", tok.AddEos);
        if (tok.ChatTemplate is { } tpl) w.AddMetadata("tokenizer.chat_template", tpl);
    }
}
