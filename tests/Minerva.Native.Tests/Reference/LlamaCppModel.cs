// llama.cpp, through LLamaSharp (test project only), as the independent reference for logits, generation and tokens.
using LLama;
using LLama.Common;
using LLama.Native;

namespace Minerva.Native.Tests.Reference;

/// <summary>A GGUF model loaded by llama.cpp on the CPU, with its logits for a token sequence.</summary>
public sealed class LlamaCppModel : IDisposable
{
    private readonly LLamaWeights _weights;
    private readonly LLamaContext _context;

    public LlamaCppModel(string path, int contextLength = 128, int threads = 2)
    {
        var p = new ModelParams(path)
        {
            ContextSize = (uint)contextLength,
            BatchSize = (uint)contextLength,
            UBatchSize = (uint)contextLength,
            Threads = threads,
            BatchThreads = threads,
            GpuLayerCount = 0,
            // The plain attention path (F16 K/V cache, softmax in F32): the one our CPU backend mirrors.
            FlashAttention = false,
        };
        _weights = LLamaWeights.LoadFromFile(p);
        _context = _weights.CreateContext(p);
    }

    /// <summary>Logits of every position for <paramref name="tokens"/> evaluated as one batch from an empty cache.</summary>
    public float[][] Logits(IReadOnlyList<int> tokens)
    {
        var batch = new LLamaBatch();
        for (int i = 0; i < tokens.Count; i++) batch.Add((LLamaToken)tokens[i], (LLamaPos)i, (LLamaSeqId)0, true);
        var result = _context.NativeHandle.Decode(batch);
        if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode failed: {result}");
        return Enumerable.Range(0, tokens.Count).Select(i => _context.NativeHandle.GetLogitsIth(i).ToArray()).ToArray();
    }

    /// <summary>Greedy continuation: the prompt as one batch, then one token per step.</summary>
    public int[] Greedy(IReadOnlyList<int> prompt, int count)
    {
        var logits = Logits(prompt);
        var output = new List<int>();
        int next = ArgMax(logits[^1]);
        int pos = prompt.Count;
        for (int i = 0; i < count; i++)
        {
            output.Add(next);
            var batch = new LLamaBatch();
            batch.Add((LLamaToken)next, (LLamaPos)pos++, (LLamaSeqId)0, true);
            if (_context.NativeHandle.Decode(batch) != DecodeResult.Ok) throw new InvalidOperationException("llama_decode failed");
            next = ArgMax(_context.NativeHandle.GetLogitsIth(0));
        }
        return [.. output];
    }

    public int[] Tokenize(string text, bool addBos, bool special) =>
        _context.Tokenize(text, addBos, special).Select(t => (int)t).ToArray();

    private static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    public void Dispose()
    {
        _context.Dispose();
        _weights.Dispose();
    }
}
