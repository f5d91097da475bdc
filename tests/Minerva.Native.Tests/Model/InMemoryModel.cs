// A synthetic model held in memory, no file: the weights SyntheticModels writes as GGUF for any LlamaConfig (Q/K rows
// permuted where the architecture's GGUF layout is interleaved, vectors F32), plus optional Llama 3 RoPE freq factors,
// run on any backend through the one executor. It reaches configs the file writers do not express yet (qwen2, head_dim,
// sliding window, rope_freqs).
using System.Runtime.InteropServices;
using Minerva.Native.Execution;
using Minerva.Native.Model;
using Minerva.Native.Tensors;

namespace Minerva.Native.Tests.Model;

internal sealed unsafe class InMemoryModel : IDisposable
{
    private readonly List<IntPtr> _native = new();

    /// <param name="matrixType">F32 or F16 for the matrices; norms, biases and freq factors are F32 as in GGUF files.</param>
    /// <param name="ropeFreqs">Llama 3 freq factors [headDim / 2], or null.</param>
    /// <param name="withoutBiases">leave out the Q/K/V biases of an AttentionBias config, every other weight unchanged.</param>
    public InMemoryModel(LlamaConfig config, GgmlType matrixType = GgmlType.F32, float[]? ropeFreqs = null, bool withoutBiases = false,
        ulong seed = SyntheticModels.DefaultSeed)
    {
        if (matrixType is not (GgmlType.F32 or GgmlType.F16)) throw new ArgumentException($"matrix type {matrixType}: F32 or F16");
        config.Validate();
        Config = withoutBiases ? config with { AttentionBias = false } : config;
        var tensors = SyntheticWeights.Tensors(config).ToDictionary(t => t.HfName);
        WeightTensor Make(SyntheticTensor t)
        {
            var type = t.IsVector ? GgmlType.F32 : matrixType;
            long n = t.Rows * t.Cols, bytes = n * (type == GgmlType.F32 ? 4 : 2);
            byte* data = Alloc(bytes);
            var row = new float[t.Cols];
            for (long r = 0; r < t.Rows; r++)
            {
                SyntheticWeights.FillRow(seed, t, SyntheticWeights.HfRowForGgufRow(t, r), row);
                for (long c = 0; c < t.Cols; c++)
                    if (type == GgmlType.F32) ((float*)data)[r * t.Cols + c] = row[c];
                    else ((Half*)data)[r * t.Cols + c] = (Half)row[c];
            }
            return new WeightTensor(t.GgufName, type, t.GgufDims, data, bytes);
        }
        var embedding = Make(tensors["model.embed_tokens.weight"]);
        var layers = Enumerable.Range(0, config.Layers)
            .Select(l => new LayerSet<WeightTensor>(spec => spec.InModel(Config) ? Make(tensors[spec.HfName(l)]) : null)).ToArray();
        WeightTensor? freqs = null;
        if (ropeFreqs is not null)
        {
            if (ropeFreqs.Length != config.HeadDim / 2) throw new ArgumentException($"{ropeFreqs.Length} freq factors for head dim {config.HeadDim}");
            byte* data = Alloc(ropeFreqs.Length * sizeof(float));
            ropeFreqs.CopyTo(new Span<float>(data, ropeFreqs.Length));
            freqs = new WeightTensor("rope_freqs.weight", GgmlType.F32, [ropeFreqs.Length], data, ropeFreqs.Length * sizeof(float));
        }
        Weights = new LlamaWeights(embedding, Make(tensors["model.norm.weight"]),
            config.TiedEmbeddings ? embedding : Make(tensors["lm_head.weight"]), layers, config.GgufRopeLayout) { RopeFreqs = freqs };
    }

    public LlamaConfig Config { get; }
    public LlamaWeights Weights { get; }

    /// <summary>Llama 3.1's freq factors (rope_scaling factor 8, low/high frequency factors 1 and 4, original context 8192
    /// unless given) as llama.cpp's converter computes them for <paramref name="headDim"/> and <paramref name="theta"/>.</summary>
    public static float[] Llama3FreqFactors(int headDim, float theta, double original = 8192)
    {
        const double factor = 8, low = 1, high = 4;
        double lowWavelen = original / low, highWavelen = original / high;
        var ff = new float[headDim / 2];
        for (int i = 0; i < ff.Length; i++)
        {
            double freq = 1.0 / Math.Pow(theta, 2.0 * i / headDim), wavelen = 2 * Math.PI / freq;
            if (wavelen < highWavelen) ff[i] = 1;
            else if (wavelen > lowWavelen) ff[i] = (float)factor;
            else
            {
                double smooth = (original / wavelen - low) / (high - low);
                ff[i] = (float)(1 / ((1 - smooth) / factor + smooth));
            }
        }
        return ff;
    }

    /// <summary>Logits [tokens, vocab] on <paramref name="backend"/>: one prefill step of every token, or one decode step per token.</summary>
    public float[] Logits(IBackend backend, int[] tokens, bool decode, int contextLength)
    {
        int vocab = Config.VocabSize;
        var all = new float[tokens.Length * vocab];
        using var model = new BackendModel(backend, Config, Weights);
        using var executor = new LlamaExecutor(model, 1, contextLength, decode ? 1 : tokens.Length);
        if (!decode)
        {
            executor.Forward(tokens, 0, allLogits: true);
            for (int r = 0; r < tokens.Length; r++) backend.ReadRow(executor.Logits, r, all.AsSpan(r * vocab, vocab));
        }
        else
        {
            for (int i = 0; i < tokens.Length; i++)
            {
                executor.Forward(tokens.AsSpan(i, 1), i);
                backend.ReadRow(executor.Logits, 0, all.AsSpan(i * vocab, vocab));
            }
        }
        return all;
    }

    private byte* Alloc(long bytes)
    {
        byte* p = (byte*)NativeMemory.Alloc((nuint)bytes);
        _native.Add((IntPtr)p);
        return p;
    }

    public void Dispose()
    {
        foreach (var p in _native) NativeMemory.Free((void*)p);
        _native.Clear();
    }
}
