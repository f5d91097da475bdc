// `quantize`: GGUF (F32/F16/BF16) or a safetensors folder in, GGUF out with llama.cpp's per-tensor type mix. Streams
// tensor by tensor (row batches), so memory stays near one batch of rows whatever the model size. Safetensors input is
// renamed to GGUF's scheme with the Q/K rows permuted as llama.cpp's converter does, so llama.cpp runs the result as is.
using Minerva.Native.Formats;
using Minerva.Native.Model;
using Minerva.Native.Tensors;
using Minerva.Native.Quantization;
using Minerva.Native.Formats.Gguf;

namespace Minerva.Native.Model;

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
        yield return Make(WeightMap.Embedding(n), wts.TokenEmbedding);
        for (int l = 0; l < c.Layers; l++)
            foreach (var spec in LayerTensors.All)
                if (wts.Layers[l][spec.Slot] is { } t)
                    yield return Make(spec.GgufName(l), t, spec.PermuteHeads(c));
        if (wts.RopeFreqs is { } freqs) yield return Make(RopeFreqFactors.TensorName, freqs);
        yield return Make(WeightMap.OutputNorm(n), wts.OutputNorm);
        if (!tied) yield return Make(WeightMap.Output(n), wts.Output);
    }

    private static void Encode(Stream stream, Item item, Action<long> progress)
    {
        var t = item.Source;
        var srcTraits = QuantRegistry.Get(t.Type);
        TensorEncoder.WriteRows(stream, item.Type, t.Rows, t.Columns, (row, dst) =>
        {
            if (item.PermuteHeads > 0 && t.Rows == 1)
            {
                // a Q or K bias: its elements are permuted like the projection's rows
                var hf = new float[t.Columns];
                srcTraits.Dequantize(t.Row(0), hf);
                for (long i = 0; i < t.Columns; i++) dst[(int)i] = hf[SyntheticWeights.HfRowForGgufRow(i, t.Columns, item.PermuteHeads)];
                return;
            }
            long src = item.PermuteHeads > 0 ? SyntheticWeights.HfRowForGgufRow(row, t.Rows, item.PermuteHeads) : row;
            srcTraits.Dequantize(t.Row(src), dst);
        }, progress);
    }

    private static void AddMetadataFromConfig(GgufWriter w, LlamaConfig c, Tokenization.LlamaTokenizer tok)
    {
        GgufLlamaMetadata.AddHyperparameters(w, c);
        GgufLlamaMetadata.AddTokenizer(w, tok);
    }
}
