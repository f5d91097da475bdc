// Perplexity exactly as llama.cpp's perplexity tool computes it: the text is cut into chunks of n_ctx tokens, each chunk
// starts with BOS (replacing its first token), runs from an empty cache, and only the second half of each chunk is
// scored: nll += -log softmax(logits[j])[token j+1] for j in [n_ctx/2, n_ctx-1).
namespace Minerva.Native;

public sealed record PerplexityChunk(int Index, double RunningPerplexity);

public static class Perplexity
{
    /// <summary>Yields the running estimate after each chunk; the last one is the result.</summary>
    public static IEnumerable<PerplexityChunk> Compute(LlamaModel model, string text, int contextLength, CancellationToken cancellation = default)
    {
        var tok = model.Tokenizer;
        int[] tokens = tok.Encode(text, addBos: tok.AddBos, parseSpecial: false);
        if (contextLength < 4) throw new ArgumentException("context length must be at least 4");
        int chunks = tokens.Length / contextLength;
        if (chunks < 1)
            throw new InvalidOperationException($"the text has {tokens.Length} tokens: at least {contextLength} (one chunk of -c tokens) are needed");

        int vocab = model.Config.VocabSize;
        var logits = new float[(long)contextLength * vocab];
        var chunk = new int[contextLength];
        double nll = 0;
        long count = 0;
        int first = contextLength / 2;
        using var session = model.CreateSession();
        if (session.ContextLength < contextLength)
            throw new InvalidOperationException($"-c {contextLength} exceeds the session's context of {session.ContextLength} tokens");
        for (int c = 0; c < chunks; c++)
        {
            cancellation.ThrowIfCancellationRequested();
            Array.Copy(tokens, c * contextLength, chunk, 0, contextLength);
            if (tok.AddBos) chunk[0] = tok.Bos;
            session.Reset();
            session.EvaluateAll(chunk, logits);
            for (int j = first; j < contextLength - 1; j++)
            {
                nll -= LogSoftmax(logits.AsSpan(j * vocab, vocab), chunk[j + 1]);
                count++;
            }
            yield return new PerplexityChunk(c + 1, Math.Exp(nll / count));
        }
    }

    // llama.cpp's log_softmax: float max, double sum of expf.
    private static double LogSoftmax(ReadOnlySpan<float> logits, int token)
    {
        float max = logits[0];
        for (int i = 1; i < logits.Length; i++) max = Math.Max(max, logits[i]);
        double sum = 0;
        for (int i = 0; i < logits.Length; i++) sum += MathF.Exp(logits[i] - max);
        return logits[token] - max - Math.Log(sum);
    }
}
