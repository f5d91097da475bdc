// The Llama forward pass, written once against IBackend (RMSNorm → attention with RoPE and GQA → residual → RMSNorm →
// SwiGLU FFN → residual, per layer; final RMSNorm and output projection), following llama.cpp's llm_build_llama and
// llm_build_qwen2: Q/K/V biases, the head size, RoPE pairing and freq factors and the sliding window are data.

using Minerva.Native.Model;
namespace Minerva.Native.Execution;

/// <summary>
/// Runs the model on one backend for one sequence. Prefill takes a batch of tokens (matrix-matrix), decode one token
/// (matrix-vector); both are the same code with a different row count. Owns the KV cache and the activation buffers,
/// allocated once; the weights belong to the <see cref="BackendModel"/> and are shared by every executor.
/// </summary>
public sealed class LlamaExecutor : IDisposable
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
    private readonly BackendTensor _last, _lastNorm;    // [1, hidden] last row before the output projection
    private readonly BackendTensor _logits;  // [batch, vocab]: one row in decode, every row when all logits are asked for

    private int _tokens;        // rows of the current step
    private bool _allLogits;

    public LlamaExecutor(BackendModel model, int contextLength, int batchSize)
    {
        var (backend, config) = (model.Backend, model.Config);
        if (contextLength <= 0) throw new ArgumentOutOfRangeException(nameof(contextLength));
        _backend = backend;
        _config = config;
        _batch = Math.Max(1, Math.Min(batchSize, contextLength));
        ContextLength = contextLength;
        _rope = new RopeParameters(config.RopeTheta, config.RopeScale, model.QkLayout, model.RopeFreqs);
        _shape = new AttentionShape(config.Heads, config.KvHeads, config.HeadDim, config.SlidingWindow);

        (_embedding, _outputNorm, _output, _layers) = (model.Embedding, model.OutputNorm, model.Output, model.Layers);
        _cache = backend.AllocateKvCache(config.Layers, contextLength, config.KvDim);

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
        _last = backend.Allocate(1, d);
        _lastNorm = backend.Allocate(1, d);
        _logits = backend.Allocate(_batch, config.VocabSize);
    }

    public int ContextLength { get; }
    /// <summary>Largest number of tokens one step processes; longer inputs are split into steps of this size.</summary>
    public int BatchSize => _batch;
    public IBackend Backend => _backend;

    /// <summary>
    /// Appends <paramref name="tokens"/> (at most <see cref="BatchSize"/>) at <paramref name="startPos"/> and computes the logits
    /// of the last token (row 0 of <see cref="Logits"/>) or, with <paramref name="allLogits"/>, of every token (row r).
    /// </summary>
    public void Forward(ReadOnlySpan<int> tokens, int startPos, bool allLogits = false)
    {
        if (tokens.Length == 0 || tokens.Length > _batch) throw new ArgumentOutOfRangeException(nameof(tokens), $"a step takes 1..{_batch} tokens");
        if (startPos < 0 || startPos + tokens.Length > ContextLength)
            throw new InvalidOperationException($"context full: {startPos + tokens.Length} tokens > context length {ContextLength}");
        foreach (int t in tokens)
            if ((uint)t >= (uint)_config.VocabSize) throw new ArgumentOutOfRangeException(nameof(tokens), $"token id {t} outside the vocabulary of {_config.VocabSize}");

        _tokens = tokens.Length;
        _allLogits = allLogits;
        foreach (var t in (ReadOnlySpan<BackendTensor>)[_x, _xn, _q, _k, _v, _attn, _proj, _gate, _up, _ffn, _down])
            t.Rows = _tokens;
        _logits.Rows = allLogits ? _tokens : 1;

        _backend.SetInput(tokens, startPos);
        _backend.Run(_tokens, _step ??= Step);
    }

    private Action? _step;

    /// <summary>Logits written by the last <see cref="Forward"/>: [1 or tokens, vocab].</summary>
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
        else
        {
            b.CopyRows(_x, _tokens - 1, _last, 1);
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
