// The Llama forward pass, written once against IBackend (RMSNorm → attention with RoPE and GQA → residual → RMSNorm →
// SwiGLU FFN → residual, per layer; final RMSNorm and output projection), following llama.cpp's llm_build_llama and
// llm_build_qwen2: Q/K/V biases, the head size, RoPE pairing and freq factors and the sliding window are data.

using Minerva.Native.Model;
namespace Minerva.Native.Execution;

/// <summary>
/// Runs the model on one backend for a pool of sequences. A step is a batch of rows (token, position, sequence): prompt
/// chunks and decode tokens of different sequences together, the weights read once for all of them (matrix-matrix);
/// one sequence's single decode token is the same code with one row. Owns the KV pool and the activation buffers,
/// allocated once; the weights belong to the <see cref="BackendModel"/>.
/// </summary>
internal sealed class LlamaExecutor : IDisposable
{
    private readonly IBackend _backend;
    private readonly LlamaConfig _config;
    private readonly RopeParameters _rope;
    private readonly AttentionShape _shape;
    private readonly int _batch;

    private readonly IBackendWeight _embedding, _outputNorm, _output;
    private readonly LayerSet<IBackendWeight>[] _layers;
    private readonly IKvCache _cache;

    // Activations, [batch, width] each.
    private readonly BackendTensor _x, _xn, _q, _k, _v, _attn, _proj, _gate, _up, _ffn, _down;
    private readonly BackendTensor _last, _lastNorm;    // [batch, hidden] the rows whose logits are asked for
    private readonly BackendTensor _logits;  // [batch, vocab]: row i = logits of the i-th asked-for row

    private int _tokens;        // rows of the current step
    private bool _allLogits;    // every row's logits, in order: the output projection reads _x directly
    private int[] _logitRows = [], _positions = [], _sequences = [];

    /// <param name="model">The weights on their backend.</param>
    /// <param name="sequences">KV slots: sequences that can be held at once.</param>
    /// <param name="contextLength">Positions per sequence.</param>
    /// <param name="batchSize">Most rows one step processes.</param>
    public LlamaExecutor(BackendModel model, int sequences, int contextLength, int batchSize)
    {
        var (backend, config) = (model.Backend, model.Config);
        if (contextLength <= 0) throw new ArgumentOutOfRangeException(nameof(contextLength));
        if (sequences <= 0) throw new ArgumentOutOfRangeException(nameof(sequences));
        _backend = backend;
        _config = config;
        _batch = Math.Max(1, batchSize);
        ContextLength = contextLength;
        Sequences = sequences;
        _rope = new RopeParameters(config.RopeTheta, config.RopeScale, model.QkLayout, model.RopeFreqs);
        _shape = new AttentionShape(config.Heads, config.KvHeads, config.HeadDim, config.SlidingWindow);

        (_embedding, _outputNorm, _output, _layers) = (model.Embedding, model.OutputNorm, model.Output, model.Layers);
        _cache = backend.AllocateKvCache(config.Layers, sequences, contextLength, config.KvDim);

        int d = config.HiddenSize, qd = config.QDim, kv = config.KvDim, ff = config.FfnSize;
        _x = backend.Allocate(_batch, d);
        _xn = backend.Allocate(_batch, d);
        _q = backend.Allocate(_batch, qd);
        _k = backend.Allocate(_batch, kv);
        _v = backend.Allocate(_batch, kv);
        _attn = backend.Allocate(_batch, qd);
        _proj = backend.Allocate(_batch, d);
        _gate = backend.Allocate(_batch, ff);
        _up = backend.Allocate(_batch, ff);
        _ffn = backend.Allocate(_batch, ff);
        _down = backend.Allocate(_batch, d);
        _last = backend.Allocate(_batch, d);
        _lastNorm = backend.Allocate(_batch, d);
        _logits = backend.Allocate(_batch, config.VocabSize);
    }

    public int ContextLength { get; }
    public int Sequences { get; }
    /// <summary>Largest number of rows one step processes; longer inputs are split into steps of this size.</summary>
    public int BatchSize => _batch;
    public IBackend Backend => _backend;

    /// <summary>
    /// One sequence: appends <paramref name="tokens"/> (at most <see cref="BatchSize"/>) at <paramref name="startPos"/> of
    /// <paramref name="sequence"/> and computes the logits of the last token (row 0 of <see cref="Logits"/>) or, with
    /// <paramref name="allLogits"/>, of every token (row r).
    /// </summary>
    public void Forward(ReadOnlySpan<int> tokens, int startPos, bool allLogits = false, int sequence = 0)
    {
        Grow(tokens.Length);
        for (int r = 0; r < tokens.Length; r++) (_positions[r], _sequences[r], _logitRows[r]) = (startPos + r, sequence, r);
        var rows = allLogits ? _logitRows.AsSpan(0, tokens.Length) : _logitRows.AsSpan(tokens.Length - 1, 1);
        Forward(tokens, _positions.AsSpan(0, tokens.Length), _sequences.AsSpan(0, tokens.Length), rows);
    }

    /// <summary>
    /// One step of rows (token, position, sequence), then the logits of the rows listed in <paramref name="logitRows"/>
    /// (in that order) as rows 0.. of <see cref="Logits"/>. Rows of one sequence must be consecutive positions in order.
    /// </summary>
    public void Forward(ReadOnlySpan<int> tokens, ReadOnlySpan<int> positions, ReadOnlySpan<int> sequences, ReadOnlySpan<int> logitRows)
    {
        if (tokens.Length == 0 || tokens.Length > _batch) throw new ArgumentOutOfRangeException(nameof(tokens), $"a step takes 1..{_batch} tokens");
        if (positions.Length != tokens.Length || sequences.Length != tokens.Length)
            throw new ArgumentException($"{tokens.Length} tokens, {positions.Length} positions, {sequences.Length} sequences");
        if (logitRows.Length > tokens.Length) throw new ArgumentOutOfRangeException(nameof(logitRows));
        for (int r = 0; r < tokens.Length; r++)
        {
            if ((uint)tokens[r] >= (uint)_config.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(tokens), $"token id {tokens[r]} outside the vocabulary of {_config.VocabSize}");
            if ((uint)positions[r] >= (uint)ContextLength)
                throw new InvalidOperationException($"context full: position {positions[r]} >= context length {ContextLength}");
            if ((uint)sequences[r] >= (uint)Sequences)
                throw new ArgumentOutOfRangeException(nameof(sequences), $"sequence {sequences[r]} outside the pool of {Sequences}");
        }
        bool all = logitRows.Length == tokens.Length;   // (a middle chunk of a long prompt asks for none)
        for (int i = 0; i < logitRows.Length && all; i++) all = logitRows[i] == i;
        foreach (int row in logitRows)
            if ((uint)row >= (uint)tokens.Length) throw new ArgumentOutOfRangeException(nameof(logitRows), $"row {row} of a {tokens.Length}-row step");

        _tokens = tokens.Length;
        _allLogits = all;
        Grow(logitRows.Length);
        logitRows.CopyTo(_logitRows); // may overlap (the one-sequence overload passes a slice of it): CopyTo is a memmove
        _logitCount = logitRows.Length;
        foreach (var t in (ReadOnlySpan<BackendTensor>)[_x, _xn, _q, _k, _v, _attn, _proj, _gate, _up, _ffn, _down])
            t.Rows = _tokens;
        _logits.Rows = logitRows.Length;

        _backend.SetInput(tokens, positions, sequences);
        _backend.Run(_tokens, _step ??= Step);
    }

    private int _logitCount;

    private void Grow(int rows)
    {
        if (_positions.Length >= rows) return;
        int n = Math.Max(rows, _batch);
        (_positions, _sequences, _logitRows) = (new int[n], new int[n], new int[n]);
    }

    private Action? _step;

    /// <summary>Logits written by the last step: [asked-for rows, vocab].</summary>
    public BackendTensor Logits => _logits;

    private void Step()
    {
        var b = _backend;
        float eps = _config.RmsEpsilon;
        b.Embed(_embedding, _x);
        for (int l = 0; l < _layers.Length; l++)
        {
            var w = _layers[l];
            b.RmsNorm(_x, w.AttnNorm, eps, _xn);
            b.MatMul(_xn, w.Wq, _q);
            b.MatMul(_xn, w.Wk, _k);
            b.MatMul(_xn, w.Wv, _v);
            if (w.BQ is { } bq) b.AddBias(_q, bq);
            if (w.BK is { } bk) b.AddBias(_k, bk);
            if (w.BV is { } bv) b.AddBias(_v, bv);
            b.Rope(_q, _config.Heads, _config.HeadDim, _rope);
            b.Rope(_k, _config.KvHeads, _config.HeadDim, _rope);
            b.StoreKv(_cache, l, _k, _v);
            b.Attention(_q, _cache, l, _shape, _attn);
            b.MatMul(_attn, w.Wo, _proj);
            b.Add(_x, _proj);

            b.RmsNorm(_x, w.FfnNorm, eps, _xn);
            b.MatMul(_xn, w.WGate, _gate);
            b.MatMul(_xn, w.WUp, _up);
            b.SiluMul(_gate, _up, _ffn);
            b.MatMul(_ffn, w.WDown, _down);
            b.Add(_x, _down);
        }
        if (_allLogits)
        {
            b.RmsNorm(_x, _outputNorm, eps, _xn);
            b.MatMul(_xn, _output, _logits);
        }
        else if (_logitCount > 0)
        {
            b.GatherRows(_x, _logitRows.AsSpan(0, _logitCount), _last);
            b.RmsNorm(_last, _outputNorm, eps, _lastNorm);
            b.MatMul(_lastNorm, _output, _logits);
        }
    }

    public void Dispose()
    {
        foreach (var t in new[] { _x, _xn, _q, _k, _v, _attn, _proj, _gate, _up, _ffn, _down, _last, _lastNorm, _logits }) t.Dispose();
        _cache.Dispose();
    }
}
