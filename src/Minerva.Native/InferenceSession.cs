using System.Runtime.CompilerServices;
using Minerva.Native.Execution;
using Minerva.Native.Generation;
using Minerva.Native.Tokenization;

namespace Minerva.Native;

/// <summary>
/// One sequence on a model: a KV cache that grows as tokens are evaluated. Not thread-safe; one caller at a time.
/// </summary>
public sealed class InferenceSession : IDisposable
{
    private readonly LlamaModel _model;
    private readonly LlamaExecutor _executor;
    private readonly float[] _logits;

    internal InferenceSession(LlamaModel model, LlamaExecutor executor)
    {
        _model = model;
        _executor = executor;
        _logits = new float[model.Config.VocabSize];
    }

    /// <summary>Tokens already in the KV cache.</summary>
    public int Position { get; private set; }
    public int ContextLength => _executor.ContextLength;
    public LlamaModel Model => _model;

    /// <summary>Forgets every token (the cache is overwritten from position 0).</summary>
    public void Reset() => Position = 0;

    /// <summary>Appends tokens (prefill in batches, or one decode step) and returns the logits of the last one.</summary>
    public ReadOnlySpan<float> Evaluate(ReadOnlySpan<int> tokens)
    {
        Append(tokens, allLogits: false, null);
        _executor.Backend.ReadRow(_executor.Logits, 0, _logits);
        return _logits;
    }

    /// <summary>Appends tokens and writes the logits of every one of them into <paramref name="logits"/> ([tokens, vocab]).</summary>
    public void EvaluateAll(ReadOnlySpan<int> tokens, Span<float> logits)
    {
        int vocab = _model.Config.VocabSize;
        if (logits.Length < (long)tokens.Length * vocab) throw new ArgumentException($"logits needs {tokens.Length} x {vocab} floats");
        Append(tokens, allLogits: true, logits);
    }

    /// <summary>Appends tokens and returns the most likely next token (the arg-max is taken on the device).</summary>
    public int EvaluateGreedy(ReadOnlySpan<int> tokens)
    {
        Append(tokens, allLogits: false, null);
        return _executor.Backend.ArgMax(_executor.Logits, 0);
    }

    private void Append(ReadOnlySpan<int> tokens, bool allLogits, Span<float> allOut)
    {
        if (tokens.IsEmpty) throw new ArgumentException("nothing to evaluate: the token list is empty");
        if (Position + tokens.Length > ContextLength)
            throw new InvalidOperationException($"{Position + tokens.Length} tokens do not fit the context of {ContextLength} tokens");
        int vocab = _model.Config.VocabSize;
        for (int done = 0; done < tokens.Length;)
        {
            int n = Math.Min(_executor.BatchSize, tokens.Length - done);
            _executor.Forward(tokens.Slice(done, n), Position, allLogits);
            if (allLogits)
                for (int r = 0; r < n; r++)
                    _executor.Backend.ReadRow(_executor.Logits, r, allOut.Slice((done + r) * vocab, vocab));
            Position += n;
            done += n;
        }
    }

    /// <summary>
    /// Evaluates the prompt, then yields generated token ids until <see cref="GenerationOptions.MaxTokens"/>, an
    /// end-of-generation token (unless ignored) or a full context. Cancellation stops it within one token.
    /// </summary>
    public IEnumerable<int> GenerateTokens(IReadOnlyList<int> prompt, GenerationOptions options, CancellationToken cancellation = default)
    {
        if (prompt.Count == 0) throw new ArgumentException("the prompt is empty");
        if (Position + prompt.Count >= ContextLength)
            throw new InvalidOperationException($"the prompt ({prompt.Count} tokens) does not fit the context of {ContextLength} tokens with room to generate");
        return Generate(prompt.ToArray(), options, cancellation);
    }

    private IEnumerable<int> Generate(int[] prompt, GenerationOptions options, CancellationToken cancellation)
    {
        var tokenizer = _model.Tokenizer;
        var sampler = options.IsGreedy && options.RepeatPenalty == 1f ? null : new Sampler(options, _model.Config.VocabSize);
        foreach (int t in prompt) sampler?.Accept(t);
        int[] one = new int[1];
        int next = Pick(prompt, sampler);
        for (int produced = 0; produced < options.MaxTokens; produced++)
        {
            cancellation.ThrowIfCancellationRequested();
            if (!options.IgnoreEos && tokenizer.IsEog(next)) yield break;
            yield return next;
            sampler?.Accept(next);
            if (produced + 1 == options.MaxTokens || Position >= ContextLength) yield break;
            one[0] = next;
            next = Pick(one, sampler);
        }
    }

    // Greedy: arg-max on the device. Sampling: on the device when the backend can (one token copied back), else on the
    // host from the logits row; the repetition penalty needs the recent tokens, so it always samples on the host.
    private int Pick(ReadOnlySpan<int> input, Sampler? sampler)
    {
        if (sampler is null) return EvaluateGreedy(input);
        if (sampler.UsesRecentTokens) return sampler.Sample(Evaluate(input));
        Append(input, allLogits: false, default);
        double u = sampler.NextUniform();
        if (_executor.Backend.TrySample(_executor.Logits, 0, sampler.Parameters, (float)u, out int token)) return token;
        _executor.Backend.ReadRow(_executor.Logits, 0, _logits);
        return sampler.SampleWith(_logits, u);
    }

    /// <summary>
    /// Tokenizes <paramref name="prompt"/> (with BOS when the model wants it) and streams the generated text, piece by
    /// piece, never splitting a UTF-8 character; stops at a stop string (not emitted).
    /// </summary>
    public async IAsyncEnumerable<string> GenerateAsync(string prompt, GenerationOptions options, [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        var tokenizer = _model.Tokenizer;
        int[] ids = tokenizer.Encode(prompt, tokenizer.AddBos, parseSpecial: true);
        var decoder = new TokenTextDecoder(tokenizer);
        var stops = new StopStringFilter(options.StopStrings);
        foreach (int token in GenerateTokens(ids, options, cancellation))
        {
            string piece = decoder.Append(token);
            if (piece.Length == 0) continue;
            var (emit, stop) = stops.Push(piece);
            if (emit.Length > 0) yield return emit;
            if (stop) yield break;
            await Task.Yield();
        }
        string tail = stops.Flush(decoder.Flush());
        if (tail.Length > 0) yield return tail;
    }

    public void Dispose() => _executor.Dispose();
}
