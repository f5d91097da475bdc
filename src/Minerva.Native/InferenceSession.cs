// One conversation on a shared model: a KV slot of the model's pool, the tokens it holds, and the calls that append to
// it. Every call is work for the model's batch scheduler, which runs it alongside other sessions' work.
using System.Runtime.CompilerServices;
using Minerva.Native.Execution;
using Minerva.Native.Generation;
using Minerva.Native.Tokenization;

namespace Minerva.Native;

/// <summary>A prompt or conversation longer than the session's context (<see cref="ModelOptions.ContextLength"/>).</summary>
public sealed class ContextLengthExceededException(string message) : InvalidOperationException(message);

/// <summary>
/// One sequence on a model: a slot of the model's KV pool that grows as tokens are evaluated. Sessions of one model run
/// concurrently from any threads (their steps are batched together); one session serves one caller at a time and says
/// so with an <see cref="InvalidOperationException"/> when called concurrently.
/// </summary>
public sealed class InferenceSession : IDisposable
{
    private readonly LlamaModel _model;
    private readonly int _slot;
    private readonly List<int> _tokens = [];   // the tokens in the cache, in order
    private readonly float[] _logits;
    private int _pending = -1;                 // a generated token handed out but not yet in the cache
    private int _busy;
    private bool _disposed;

    internal InferenceSession(LlamaModel model, int slot)
    {
        _model = model;
        _slot = slot;
        _logits = new float[model.Config.VocabSize];
    }

    private readonly int[] _one = new int[1];   // a one-token input (a decode step), reused
    private EvaluateWork? _evaluate;             // the synchronous calls' work, reused

    /// <summary>Tokens already in the KV cache.</summary>
    public int Position => _tokens.Count;
    /// <summary>The tokens in the KV cache, in order.</summary>
    public IReadOnlyList<int> Tokens => _tokens;
    public int ContextLength => _model.ContextLength;
    public LlamaModel Model => _model;
    /// <summary>Tokens this session has run through the model (prefix reuse skips the ones already cached).</summary>
    public long EvaluatedTokens { get; private set; }

    /// <summary>Forgets every token (the cache is overwritten from position 0).</summary>
    public void Reset() => Truncate(0);

    /// <summary>Keeps the first <paramref name="position"/> tokens and forgets the rest (to regenerate or edit a turn).</summary>
    public void Truncate(int position)
    {
        using var _ = Enter();
        if (position < 0 || position > _tokens.Count) throw new ArgumentOutOfRangeException(nameof(position), $"{position} is outside 0..{_tokens.Count}");
        _tokens.RemoveRange(position, _tokens.Count - position);
        _pending = -1;
    }

    /// <summary>Appends tokens (prefill in batches, or one decode step) and returns the logits of the last one.</summary>
    public ReadOnlySpan<float> Evaluate(ReadOnlySpan<int> tokens)
    {
        using var _ = Enter();
        Run(tokens, EvaluateMode.Last, _logits);
        return _logits;
    }

    /// <summary>Appends tokens and writes the logits of every one of them into <paramref name="logits"/> ([tokens, vocab]).</summary>
    public void EvaluateAll(ReadOnlySpan<int> tokens, Span<float> logits)
    {
        using var _ = Enter();
        int vocab = _model.Config.VocabSize;
        if (logits.Length < (long)tokens.Length * vocab) throw new ArgumentException($"logits needs {tokens.Length} x {vocab} floats");
        var all = new float[tokens.Length * vocab];
        Run(tokens, EvaluateMode.All, all);
        all.CopyTo(logits);
    }

    /// <summary>Appends tokens and returns the most likely next token (the arg-max is taken on the device).</summary>
    public int EvaluateGreedy(ReadOnlySpan<int> tokens)
    {
        using var _ = Enter();
        return Run(tokens, EvaluateMode.ArgMax, null);
    }

    private int Run(ReadOnlySpan<int> tokens, EvaluateMode mode, float[]? logits)
    {
        if (mode == EvaluateMode.All && _pending >= 0) Run([], EvaluateMode.ArgMax, null);   // the pending token first
        int[] input = WithPending(tokens);
        if (input.Length == 0) throw new ArgumentException("nothing to evaluate: the token list is empty");
        if (Position + input.Length > ContextLength)
            throw new ContextLengthExceededException($"{Position + input.Length} tokens do not fit the context of {ContextLength} tokens");
        var work = _evaluate ??= new EvaluateWork(_slot, _model.Config.VocabSize);
        work.Start(input, Position, logits, mode);
        _model.Submit(work);
        try { work.Wait(); }
        finally { Commit(input, work.Position - Position); }
        _pending = -1;
        return work.ArgMax;
    }

    /// <summary>
    /// Evaluates the prompt, then yields generated token ids until <see cref="GenerationOptions.MaxTokens"/>, an
    /// end-of-generation token (unless ignored) or a full context. Cancellation stops it within one token.
    /// </summary>
    public IEnumerable<int> GenerateTokens(IReadOnlyList<int> prompt, GenerationOptions options, CancellationToken cancellation = default)
    {
        var stream = GenerateTokensAsync(prompt, options, cancellation).GetAsyncEnumerator(cancellation);
        try
        {
            while (stream.MoveNextAsync().AsTask().GetAwaiter().GetResult()) yield return stream.Current;
        }
        finally { stream.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
    }

    /// <summary>
    /// <see cref="GenerateTokens"/> without blocking: the prompt is evaluated and tokens are generated on the model's
    /// scheduler thread, batched with other sessions' work.
    /// </summary>
    public IAsyncEnumerable<int> GenerateTokensAsync(IReadOnlyList<int> prompt, GenerationOptions options, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(options);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (prompt.Count == 0 && _pending < 0) throw new ArgumentException("the prompt is empty");
        int count = prompt.Count + (_pending >= 0 ? 1 : 0);
        if (Position + count >= ContextLength)
            throw new ContextLengthExceededException($"the prompt ({count} tokens after {Position} in the cache) does not fit the context of {ContextLength} tokens with room to generate");
        return Stream(prompt.ToArray(), options, cancellation);
    }

    private async IAsyncEnumerable<int> Stream(int[] prompt, GenerationOptions options, [EnumeratorCancellation] CancellationToken cancellation)
    {
        using var _ = Enter();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        int[] input = WithPending(prompt);
        int start = Position;
        var work = new GenerateWork(_slot, input, start, options, _model.Config.VocabSize, _model.Tokenizer.IsEog, ContextLength, stop.Token);
        _model.Submit(work);
        var reader = work.Output.Reader;
        var generated = new List<int>();
        try
        {
            await foreach (int token in reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                generated.Add(token);
                cancellation.ThrowIfCancellationRequested();   // tokens made ahead are not handed out after a cancel
                yield return token;
            }
        }
        finally
        {
            // A caller that stops reading early stops the generation; the work ends within one step. Tokens written
            // ahead are read while waiting: the channel's Completion waits for them to be read, not just written.
            if (!reader.Completion.IsCompleted)
            {
                stop.Cancel();
                try
                {
                    await foreach (int token in reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false)) generated.Add(token);
                }
                catch (OperationCanceledException) { }
            }
            while (reader.TryRead(out int token)) generated.Add(token);
            CommitGenerated(input, generated, work, start);
        }
    }

    // The cache holds the prompt and every generated token but the last one handed out (that one is pending: the next
    // call evaluates it first, so a conversation continues exactly where the text stopped).
    private void CommitGenerated(int[] input, List<int> generated, GenerateWork work, int start)
    {
        int inCache = work.Position - start;   // tokens the scheduler evaluated for this work
        var all = new List<int>(input.Length + generated.Count);
        all.AddRange(input);
        all.AddRange(generated);
        _tokens.AddRange(all.Take(inCache));
        EvaluatedTokens += inCache;
        _pending = inCache < all.Count && work.Pending >= 0 ? all[inCache] : -1;
    }

    /// <summary>
    /// Tokenizes <paramref name="prompt"/> as plain text (special-token text such as "&lt;/s&gt;" stays text; BOS only at
    /// the start of the sequence) and streams the generated text, piece by piece, never splitting a UTF-8 character;
    /// stops at a stop string (not emitted). Later calls continue the same sequence.
    /// </summary>
    public async IAsyncEnumerable<string> GenerateAsync(string prompt, GenerationOptions options, [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        var tokenizer = _model.Tokenizer;
        int[] ids = tokenizer.Encode(prompt, addBos: Position == 0 && _pending < 0 && tokenizer.AddBos, parseSpecial: false);
        await foreach (string piece in Text(GenerateTokensAsync(ids, options, cancellation), options, cancellation).ConfigureAwait(false))
            yield return piece;
    }

    /// <summary>
    /// Continues the conversation given as its whole token sequence (a chat template's output, say): the longest prefix
    /// this session already holds is reused and only the rest is evaluated, then tokens are generated.
    /// </summary>
    public IAsyncEnumerable<int> GenerateFromAsync(IReadOnlyList<int> conversation, GenerationOptions options, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        if (conversation.Count == 0) throw new ArgumentException("the conversation is empty");
        int keep = 0;
        while (keep < _tokens.Count && keep < conversation.Count && _tokens[keep] == conversation[keep]) keep++;
        if (keep == conversation.Count) keep--;   // at least one token runs, for the logits of the next one
        bool pendingMatches = _pending >= 0 && keep == _tokens.Count && keep < conversation.Count && conversation[keep] == _pending;
        Truncate(keep);
        if (pendingMatches) keep++;   // the pending token is evaluated anyway: it is the conversation's next one
        var rest = new int[conversation.Count - keep];
        for (int i = 0; i < rest.Length; i++) rest[i] = conversation[keep + i];
        if (pendingMatches) _pending = conversation[keep - 1];
        return GenerateTokensAsync(rest, options, cancellation);
    }

    /// <summary>Generated tokens as text pieces (UTF-8 safe) up to a stop string.</summary>
    internal async IAsyncEnumerable<string> Text(IAsyncEnumerable<int> tokens, GenerationOptions options, [EnumeratorCancellation] CancellationToken cancellation)
    {
        var decoder = new TokenTextDecoder(_model.Tokenizer);
        var stops = new StopStringFilter(options.StopStrings);
        await foreach (int token in tokens.WithCancellation(cancellation).ConfigureAwait(false))
        {
            string piece = decoder.Append(token);
            if (piece.Length == 0) continue;
            var (emit, stop) = stops.Push(piece);
            if (emit.Length > 0) yield return emit;
            if (stop) yield break;
        }
        string tail = stops.Flush(decoder.Flush());
        if (tail.Length > 0) yield return tail;
    }

    /// <summary>The pending token (if any) then <paramref name="tokens"/>; one token reuses the session's one-slot array.</summary>
    private int[] WithPending(ReadOnlySpan<int> tokens)
    {
        if (tokens.Length + (_pending >= 0 ? 1 : 0) == 1)
        {
            _one[0] = _pending >= 0 ? _pending : tokens[0];
            return _one;
        }
        if (_pending < 0) return tokens.ToArray();
        var input = new int[tokens.Length + 1];
        input[0] = _pending;
        tokens.CopyTo(input.AsSpan(1));
        return input;
    }

    private void Commit(int[] input, int evaluated)
    {
        for (int i = 0; i < evaluated; i++) _tokens.Add(input[i]);
        EvaluatedTokens += evaluated;
    }

    private Guard Enter()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _model.ThrowIfDisposed();
        if (Interlocked.Exchange(ref _busy, 1) != 0)
            throw new InvalidOperationException("this session is already running a call: use one session per caller, or wait for the call to finish");
        return new Guard(this);
    }

    private readonly struct Guard(InferenceSession session) : IDisposable
    {
        public void Dispose() => Volatile.Write(ref session._busy, 0);
    }

    public void Dispose()
    {
        if (_disposed) return;
        if (Interlocked.Exchange(ref _busy, 1) != 0)
            throw new InvalidOperationException("dispose the session after its running call has finished (cancel it first)");
        _disposed = true;
        _model.ReleaseSlot(_slot);
    }
}
