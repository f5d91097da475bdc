// Token sampling in llama.cpp's default chain order: repetition penalty → top-k → top-p → min-p → temperature → draw.
namespace Minerva.Native.Generation;

/// <summary>Picks the next token from logits. Holds its scratch buffers and RNG; no allocation per token.</summary>
public sealed class Sampler
{
    private readonly GenerationOptions _options;
    private readonly float[] _scratch;
    private readonly int[] _ids;
    private readonly int[] _recent;
    private int _recentCount, _recentNext;
    private ulong _state;
    private readonly int[] _stamp;
    private int _stampValue;
    private readonly DescendingByValue _order;

    public Sampler(GenerationOptions options, int vocabSize)
    {
        _options = options;
        _scratch = new float[vocabSize];
        _ids = new int[vocabSize];
        _recent = new int[Math.Max(0, options.RepeatLastN)];
        _stamp = new int[vocabSize];
        _order = new DescendingByValue(_scratch);
        _state = options.Seed == 0 ? 0x9E3779B97F4A7C15UL : options.Seed;
    }

    /// <summary>Records a token (prompt or generated) for the repetition penalty.</summary>
    public void Accept(int token)
    {
        if (_recent.Length == 0) return;
        _recent[_recentNext] = token;
        _recentNext = (_recentNext + 1) % _recent.Length;
        _recentCount = Math.Min(_recentCount + 1, _recent.Length);
    }

    /// <summary>Chooses a token from one row of logits (not modified).</summary>
    public int Sample(ReadOnlySpan<float> logits)
    {
        var o = _options;
        int n = logits.Length;
        var l = _scratch.AsSpan(0, n);
        logits.CopyTo(l);
        if (o.RepeatPenalty != 1f)
        {
            // llama.cpp's rule, once per distinct recent token: positive logits are divided, negative ones multiplied.
            _stampValue++;
            for (int i = 0; i < _recentCount; i++)
            {
                int t = _recent[i];
                if (_stamp[t] == _stampValue) continue;
                _stamp[t] = _stampValue;
                l[t] = l[t] > 0 ? l[t] / o.RepeatPenalty : l[t] * o.RepeatPenalty;
            }
        }
        if (o.IsGreedy) return ArgMax(l);
        return Pick(l, NextUniform());
    }

    /// <summary>True when the choice depends on the recent tokens (repetition penalty), which only the host sampler applies.</summary>
    public bool UsesRecentTokens => _options.RepeatPenalty != 1f && _recent.Length > 0;

    /// <summary>The chain a device sampler runs (the backends' TrySample).</summary>
    public SamplingParameters Parameters => new(_options.Temperature, _options.TopK, _options.TopP, _options.MinP);

    /// <summary>Chooses from <paramref name="logits"/> (not modified, no penalty) with a given draw u in [0, 1): the host
    /// twin of the device sampler, used when the backend has none.</summary>
    public int SampleWith(ReadOnlySpan<float> logits, double u)
    {
        if (_options.IsGreedy) return ArgMax(logits);
        var l = _scratch.AsSpan(0, logits.Length);
        logits.CopyTo(l);
        return Pick(l, u);
    }

    // top-k → top-p (softmax at temperature 1 over the top-k) → min-p → temperature → the first candidate whose cumulative
    // weight reaches u·total: the same steps, order and tie rule as sample_topk_topp_f32 (kernels/sample.cu).
    private int Pick(Span<float> l, double u)
    {
        var o = _options;
        int n = l.Length;
        var ids = _ids.AsSpan(0, n);
        for (int i = 0; i < n; i++) ids[i] = i;
        // Sort candidates by logit, descending (ties: lower id first), keeping only top-k when set.
        int k = o.TopK > 0 ? Math.Min(o.TopK, n) : n;
        PartialSortDescending(ids, k);
        int count = k;

        // Softmax over the candidates (at temperature 1, as llama.cpp's top-p/min-p see them).
        float max = l[ids[0]];
        double sum = 0;
        for (int i = 0; i < count; i++) sum += Math.Exp(l[ids[i]] - max);
        if (o.TopP < 1f)
        {
            double cum = 0;
            for (int i = 0; i < count; i++)
            {
                cum += Math.Exp(l[ids[i]] - max) / sum;
                if (cum >= o.TopP) { count = i + 1; break; }
            }
        }
        if (o.MinP > 0f)
        {
            float threshold = max + MathF.Log(o.MinP);
            int keep = 1;
            while (keep < count && l[ids[keep]] >= threshold) keep++;
            count = keep;
        }
        // Temperature, then draw by cumulative probability.
        double total = 0;
        for (int i = 0; i < count; i++) total += Math.Exp((l[ids[i]] - max) / o.Temperature);
        double r = Math.Clamp(u, 0, 1) * total, acc = 0;
        for (int i = 0; i < count; i++)
        {
            acc += Math.Exp((l[ids[i]] - max) / o.Temperature);
            if (acc >= r) return ids[i];
        }
        return ids[count - 1];
    }

    public static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    // Moves the k largest (by value, then by lower id) to the front of ids, in order.
    private void PartialSortDescending(Span<int> ids, int k)
    {
        if (k >= ids.Length / 4)
        {
            ids.Sort(_order);
            return;
        }
        // A sorted window of the best k, filled in one scan: O(n·k) worst case, O(n) typical.
        int filled = 0;
        for (int id = 0; id < ids.Length; id++)
        {
            if (filled == k && _order.Compare(id, ids[k - 1]) >= 0) continue;
            int pos = filled < k ? filled++ : k - 1;
            while (pos > 0 && _order.Compare(id, ids[pos - 1]) < 0) { ids[pos] = ids[pos - 1]; pos--; }
            ids[pos] = id;
        }
    }

    private sealed class DescendingByValue(float[] values) : IComparer<int>
    {
        public int Compare(int a, int b)
        {
            int c = values[b].CompareTo(values[a]);
            return c != 0 ? c : a.CompareTo(b);
        }
    }

    /// <summary>The next draw in [0, 1) (xorshift64*: deterministic for a seed on every platform); one per sampled token.</summary>
    public double NextUniform()
    {
        _state ^= _state >> 12; _state ^= _state << 25; _state ^= _state >> 27;
        return ((_state * 0x2545F4914F6CDD1DUL) >> 11) * (1.0 / (1UL << 53));
    }
}
