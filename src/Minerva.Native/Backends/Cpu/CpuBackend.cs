// The CPU backend: every IBackend op as SIMD kernels (Kernels/) over native F32 activations, zero-copy weights from
// the mapping and an F16 KV cache, run on a persistent worker pool.
using System.Runtime.InteropServices;
using Minerva.Native.Backends.Cpu.Kernels;
using Minerva.Native.Execution;
using Minerva.Native.Tensors;
using Minerva.Native.Simd;
using Minerva.Native.Generation;

namespace Minerva.Native.Backends.Cpu;

/// <summary>Runs the Llama ops on the CPU with SIMD kernels (tier: <see cref="SimdSupport.Tier"/>) on <see cref="Threads"/> threads.</summary>
internal sealed unsafe class CpuBackend : IBackend
{
    private readonly WorkerPool _pool;
    private readonly PrepareActivationsJob _prepare = new();
    private readonly MatMulJob _matMul = new();
    private readonly RepackJob _repack = new();
    private readonly RmsNormJob _rmsNorm = new();
    private readonly BinaryJob _binary = new();
    private readonly RopeJob _rope = new();
    private readonly AttentionJob _attention = new();
    private readonly NativeScratch _prepared = new();
    private readonly NativeScratch _wideScratch = new();
    private readonly NativeScratch _normWeight = new();
    private readonly NativeScratch _ropeCache = new();
    private readonly NativeScratch _ropeFactors = new();
    private readonly NativeScratch _attentionScratch = new();
    private int[] _tokens = [], _positions = [], _sequences = [];   // [rows of the step] each
    private int _tokenCount;

    /// <param name="threads">Threads that run each op, the calling thread included (default: one per logical CPU).</param>
    public CpuBackend(int threads = 0)
    {
        _pool = new WorkerPool(threads > 0 ? threads : Environment.ProcessorCount);
        DeviceName = $"{CpuModelName()} ({SimdSupport.Tier.ToString().ToLowerInvariant()}, {Threads} threads)";
    }

    public string Name => "cpu";
    public string DeviceName { get; }
    public long? DeviceMemoryInUse => null;
    public int Threads => _pool.Threads;
    public SimdTier Tier => SimdSupport.Tier;

    public IBackendWeight Load(WeightTensor weight) => new CpuWeight(weight);

    public void PrepareMatMul(IBackendWeight weight)
    {
        var w = AsWeight(weight);
        if (w.Repacks) w.Repacked(_pool, _repack);
    }
    public BackendTensor Allocate(int capacity, int cols) => new CpuTensor(capacity, cols);
    public IKvCache AllocateKvCache(int layers, int sequences, int contextLength, int kvDim) => new CpuKvCache(layers, sequences, contextLength, kvDim);
    public IKvCache AllocateKvCache(int layers, int contextLength, int kvDim) => AllocateKvCache(layers, 1, contextLength, kvDim);

    /// <summary>Rows of sequence 0 at positions <paramref name="startPos"/>, <paramref name="startPos"/> + 1, ... (tests and tools).</summary>
    public void SetInput(ReadOnlySpan<int> tokens, int startPos)
    {
        var positions = new int[tokens.Length];
        for (int r = 0; r < positions.Length; r++) positions[r] = startPos + r;
        SetInput(tokens, positions, new int[tokens.Length]);
    }

    public void SetInput(ReadOnlySpan<int> tokens, ReadOnlySpan<int> positions, ReadOnlySpan<int> sequences)
    {
        if (positions.Length != tokens.Length || sequences.Length != tokens.Length)
            throw new ArgumentException($"{tokens.Length} tokens, {positions.Length} positions, {sequences.Length} sequences");
        foreach (int p in positions) ArgumentOutOfRangeException.ThrowIfNegative(p, nameof(positions));
        foreach (int s in sequences) ArgumentOutOfRangeException.ThrowIfNegative(s, nameof(sequences));
        if (tokens.Length > _tokens.Length)
        {
            int capacity = Math.Max(tokens.Length, 2 * _tokens.Length);
            (_tokens, _positions, _sequences) = (new int[capacity], new int[capacity], new int[capacity]);
            (_rope.Positions, _attention.Positions, _attention.Sequences) = (_positions, _positions, _sequences);
        }
        tokens.CopyTo(_tokens);
        positions.CopyTo(_positions);
        sequences.CopyTo(_sequences);
        _tokenCount = tokens.Length;
    }

    public void Run(int tokenCount, Action step)
    {
        if (tokenCount != _tokenCount)
            throw new InvalidOperationException($"Run({tokenCount}) after SetInput of {_tokenCount} tokens");
        step();
    }

    public void Embed(IBackendWeight table, BackendTensor output)
    {
        var w = AsWeight(table);
        var y = AsTensor(output);
        RequireCols(y, w.Columns, "embedding output");
        y.Rows = _tokenCount;
        for (int r = 0; r < _tokenCount; r++)
        {
            int token = _tokens[r];
            if ((uint)token >= (uint)w.Rows) throw new ArgumentOutOfRangeException(nameof(table), $"token id {token} outside the {w.Rows}-row table");
            Kernels.Embed.RowToF32(w.Data + token * w.RowBytes, w.Type, w.Traits, w.RowBytes, y.Row(r), w.Columns);
        }
    }

    public void RmsNorm(BackendTensor x, IBackendWeight weight, float eps, BackendTensor output)
    {
        var (a, w, y) = (AsTensor(x), AsWeight(weight), AsTensor(output));
        RequireCols(a, w.Columns, "rms_norm input");
        RequireCols(y, a.Cols, "rms_norm output");
        y.Rows = a.Rows;
        _rmsNorm.X = a.Data;
        _rmsNorm.Y = y.Data;
        _rmsNorm.Weight = F32Vector(w);
        _rmsNorm.Columns = a.Cols;
        _rmsNorm.Epsilon = eps;
        _pool.Run(_rmsNorm, a.Rows);
    }

    public void MatMul(BackendTensor x, IBackendWeight weight, BackendTensor output)
    {
        var (a, w, y) = (AsTensor(x), AsWeight(weight), AsTensor(output));
        RequireCols(a, w.Columns, "matmul input");
        RequireCols(y, w.Rows, "matmul output");
        int tokens = a.Rows;
        y.Rows = tokens;
        if (tokens == 0) return;

        var job = _matMul;
        job.Tokens = tokens;
        job.Columns = w.Columns;
        job.Weight = w.Data;
        job.WeightRowBytes = w.RowBytes;
        job.WeightRows = w.Rows;
        job.WeightType = w.Type;
        job.VecDot = w.VecDot;
        job.Tile = w.Tile;
        job.Output = y.Data;
        job.OutputStride = y.Cols;
        job.Repacked = w.Repacks ? w.Repacked(_pool, _repack) : null;
        job.F16Scaled = w.F16Scaled;    // only ever set for repacked F16 panels
        job.WideScratch = null;
        bool integerGroups = w.Repacks && !Repack16.IsFloat(w.Type);    // Gemm16/Gemm16K: Q8_0/Q8_K blocks of their own
        bool bf16Panels = w.Repacks && w.Type == GgmlType.BF16;           // Gemm16F's lane-split panels
        if (!integerGroups && (w.Type == GgmlType.F32 || (w.Traits is not null && w.ActivationTraits is null)))
        {
            job.Activations = (byte*)a.Data;
            job.ActivationRowBytes = (long)a.Cols * sizeof(float);
        }
        else
        {
            var prep = _prepare;
            prep.X = a.Data;
            prep.XStride = a.Cols;
            prep.Columns = w.Columns;
            prep.WeightType = w.Type;
            prep.ActivationTraits = w.ActivationTraits;
            prep.ForGemm16 = integerGroups;
            prep.F16Scaled = job.F16Scaled;
            prep.SplitBF16 = bf16Panels;
            prep.PreparedRowBytes = integerGroups ? Repack16.ActivationRowBytes(w.Type, w.Columns)
                : w.ActivationTraits is { } at ? GgmlTypes.RowBytes(at.Type, w.Columns) : (long)w.Columns * sizeof(float);
            prep.Prepared = (byte*)_prepared.Ensure(tokens * prep.PreparedRowBytes);
            _pool.Run(prep, tokens);
            job.Activations = prep.Prepared;
            job.ActivationRowBytes = prep.PreparedRowBytes;
        }
        if (bf16Panels || (tokens > MatMulJob.WidenAboveTokens && w.Type is GgmlType.F16 or GgmlType.BF16))
            job.WideScratch = (float*)_wideScratch.Ensure(Threads * (w.Repacks ? Gemm16F.ScratchBytes(w.Type, w.Columns) : (long)MatMulJob.WideRows * w.Columns * sizeof(float)));
        // enough chunks to balance the threads: groups of 16 rows (Gemm16/Gemm16K) or of 4 panels of 16 rows (Gemm16F);
        // float weights in a batch: multiples of DotTile's 24-row groups. One token through Gemm16/Gemm16K streams the
        // weights from memory: two long runs per thread (as ggml splits a vector product by thread) keep the hardware and
        // software prefetch streams going, where 64-row chunks restarted them every 100 KB (tg64 on the 2-core Zen 4, per-step
        // A/B in one process: Q4_0 +21 %, Q4_K_M +20 %, Q6_K +10 %, Q8_0 +7 %; F16's panels gained nothing)
        int rowsPerUnit = !w.Repacks ? 1 : integerGroups ? Repack16.Rows : Repack16.Rows * Gemm16F.PanelsPerCall;
        int units = w.Rows / rowsPerUnit;
        job.RowsPerChunk = !w.Repacks ? (tokens > 1 && w.Traits is null ? 48 : Math.Clamp(w.Rows / (Threads * 8), 1, 64))
            : tokens == 1 && integerGroups ? rowsPerUnit * ((units + 2 * Threads - 1) / (2 * Threads))
            : rowsPerUnit * Math.Clamp(units / (Threads * 4), 1, 4);
        _pool.Run(job, job.Chunks);
    }

    public void Rope(BackendTensor x, int heads, int headDim, RopeParameters rope)
    {
        var a = AsTensor(x);
        RequireCols(a, heads * headDim, "rope input");
        if (headDim % 2 != 0) throw new ArgumentException($"head dim {headDim} must be even for RoPE", nameof(headDim));
        var job = _rope;
        job.X = a.Data;
        job.Heads = heads;
        job.HeadDim = headDim;
        job.Theta = rope.Theta;
        job.FreqScale = 1f / rope.Scale;
        job.FreqFactors = null;
        if (rope.FreqFactors is { } ff)
        {
            var f = AsWeight(ff);
            if (f.Columns * f.Rows != headDim / 2) throw new ArgumentException($"rope freq factors hold {f.Columns * f.Rows} values for {headDim / 2} pairs");
            job.FreqFactors = F32Vector(f, _ropeFactors);
        }
        job.Layout = rope.Layout;
        job.Scratch = (float*)_ropeCache.Ensure((long)Threads * headDim * sizeof(float));
        _pool.Run(job, a.Rows);
    }

    public void StoreKv(IKvCache cache, int layer, BackendTensor k, BackendTensor v)
    {
        var (c, kt, vt) = (AsCache(cache), AsTensor(k), AsTensor(v));
        RequireCols(kt, c.KvDim, "K rows");
        RequireCols(vt, c.KvDim, "V rows");
        if (kt.Rows != vt.Rows) throw new ArgumentException($"{kt.Rows} K rows but {vt.Rows} V rows");
        CheckPositions(c, layer, kt.Rows);
        for (int r = 0; r < kt.Rows; r++)
        {
            HalfConvert.F32ToF16(kt.Row(r), c.K(layer, _sequences[r], _positions[r]), c.KvDim);
            HalfConvert.F32ToF16(vt.Row(r), c.V(layer, _sequences[r], _positions[r]), c.KvDim);
        }
    }

    public void Attention(BackendTensor q, IKvCache cache, int layer, AttentionShape shape, BackendTensor output)
    {
        var (a, c, y) = (AsTensor(q), AsCache(cache), AsTensor(output));
        if (shape.Heads <= 0 || shape.KvHeads <= 0 || shape.Heads % shape.KvHeads != 0)
            throw new ArgumentException($"{shape.Heads} heads over {shape.KvHeads} KV heads", nameof(shape));
        RequireCols(a, shape.Heads * shape.HeadDim, "attention query");
        RequireCols(y, shape.Heads * shape.HeadDim, "attention output");
        if (shape.KvHeads * shape.HeadDim != c.KvDim) throw new ArgumentException($"{shape.KvHeads} x {shape.HeadDim} KV heads != cache KV dim {c.KvDim}");
        CheckPositions(c, layer, a.Rows);
        y.Rows = a.Rows;
        var job = _attention;
        job.Q = a.Data;
        job.Output = y.Data;
        job.Cache = c;
        job.Layer = layer;
        job.Heads = shape.Heads;
        job.KvHeads = shape.KvHeads;
        job.HeadDim = shape.HeadDim;
        job.Window = shape.Window;
        job.Scale = 1f / MathF.Sqrt(shape.HeadDim);
        // whole groups unless that leaves threads idle (one token, few KV heads): then the smallest split that feeds them
        int group = shape.Heads / shape.KvHeads, parts = 1;
        while (parts < group && (group % parts != 0 || a.Rows * shape.KvHeads * parts < 2 * Threads)) parts++;
        job.HeadsPerChunk = group / parts;
        int positions = 0;
        for (int r = 0; r < a.Rows; r++) positions = Math.Max(positions, _positions[r] + 1);
        if (shape.Window > 0) positions = Math.Min(shape.Window, positions);
        job.ScratchFloatsPerThread = Kernels.Attention.GroupScratchFloats(job.HeadsPerChunk, positions, shape.HeadDim) + 16;
        job.Scratch = (float*)_attentionScratch.Ensure(Threads * job.ScratchFloatsPerThread * sizeof(float));
        _pool.Run(job, job.Chunks(a.Rows));
    }

    public void SiluMul(BackendTensor gate, BackendTensor up, BackendTensor output) => RunBinary(BinaryKind.SiluMul, gate, up, output);

    public void Add(BackendTensor x, BackendTensor y) => RunBinary(BinaryKind.Add, x, y, x);

    public void AddBias(BackendTensor x, IBackendWeight bias)
    {
        var (a, w) = (AsTensor(x), AsWeight(bias));
        if (w.Rows != 1 || w.Columns != a.Cols) throw new ArgumentException($"bias [{w.Rows}, {w.Columns}] does not fit rows of {a.Cols}");
        _binary.X = a.Data;
        _binary.Y = F32Vector(w, _normWeight);
        _binary.Z = a.Data;
        _binary.Columns = a.Cols;
        _binary.Kind = BinaryKind.Add;
        _binary.BroadcastY = true;
        _pool.Run(_binary, a.Rows);
    }

    public void CopyRows(BackendTensor src, int srcRow, BackendTensor dst, int count)
    {
        var (s, d) = (AsTensor(src), AsTensor(dst));
        RequireCols(d, s.Cols, "copy destination");
        if (srcRow < 0 || count < 0 || srcRow + count > s.Capacity) throw new ArgumentOutOfRangeException(nameof(count), $"rows {srcRow}..{srcRow + count} of {s.Capacity}");
        d.Rows = count;
        new ReadOnlySpan<float>(s.Row(srcRow), count * s.Cols).CopyTo(new Span<float>(d.Data, count * s.Cols));
    }

    public void GatherRows(BackendTensor src, ReadOnlySpan<int> rows, BackendTensor dst)
    {
        var (s, d) = (AsTensor(src), AsTensor(dst));
        RequireCols(d, s.Cols, "gather destination");
        if (rows.Length > d.Capacity) throw new ArgumentOutOfRangeException(nameof(rows), $"{rows.Length} rows into {d.Capacity}");
        d.Rows = rows.Length;
        for (int i = 0; i < rows.Length; i++)
        {
            if ((uint)rows[i] >= (uint)s.Capacity) throw new ArgumentOutOfRangeException(nameof(rows), $"row {rows[i]} of {s.Capacity}");
            s.RowSpan(rows[i]).CopyTo(d.RowSpan(i));
        }
    }

    public void ReadRow(BackendTensor x, int row, Span<float> destination)
    {
        var a = AsTensor(x);
        if ((uint)row >= (uint)a.Capacity) throw new ArgumentOutOfRangeException(nameof(row));
        a.RowSpan(row).CopyTo(destination);
    }

    /// <summary>The host is the CPU backend's device: the caller's host sampler does the work.</summary>
    public bool TrySample(BackendTensor logits, int row, SamplingParameters parameters, float uniform, out int token)
    {
        token = -1;
        return false;
    }

    public int ArgMax(BackendTensor x, int row)
    {
        var a = AsTensor(x);
        if ((uint)row >= (uint)a.Capacity) throw new ArgumentOutOfRangeException(nameof(row));
        return Kernels.ArgMax.Run(a.Row(row), a.Cols);
    }

    public void Dispose()
    {
        _pool.Dispose();
        _prepared.Dispose();
        _wideScratch.Dispose();
        _normWeight.Dispose();
        _ropeCache.Dispose();
        _ropeFactors.Dispose();
        _attentionScratch.Dispose();
    }

    private void RunBinary(BinaryKind kind, BackendTensor x, BackendTensor y, BackendTensor z)
    {
        var (a, b, c) = (AsTensor(x), AsTensor(y), AsTensor(z));
        RequireCols(b, a.Cols, "second operand");
        RequireCols(c, a.Cols, "output");
        if (b.Rows != a.Rows) throw new ArgumentException($"{a.Rows} rows but {b.Rows} rows in the second operand");
        c.Rows = a.Rows;
        _binary.X = a.Data;
        _binary.Y = b.Data;
        _binary.Z = c.Data;
        _binary.Columns = a.Cols;
        _binary.Kind = kind;
        _binary.BroadcastY = false;
        _pool.Run(_binary, a.Rows);
    }

    private void CheckPositions(CpuKvCache c, int layer, int rows)
    {
        if ((uint)layer >= (uint)c.Layers) throw new ArgumentOutOfRangeException(nameof(layer), $"layer {layer} of {c.Layers}");
        if (rows > _tokenCount) throw new ArgumentOutOfRangeException(nameof(rows), $"{rows} rows but the step has {_tokenCount}");
        for (int r = 0; r < rows; r++)
        {
            if (_positions[r] >= c.ContextLength)
                throw new ArgumentOutOfRangeException(nameof(rows), $"position {_positions[r]} exceeds the context of {c.ContextLength}");
            if (_sequences[r] >= c.Sequences)
                throw new ArgumentOutOfRangeException(nameof(rows), $"sequence {_sequences[r]} outside the cache's {c.Sequences}");
        }
    }

    /// <summary>An F32 view of a vector weight: the mapping itself for F32, else widened into scratch (norm weights are tiny).</summary>
    private float* F32Vector(CpuWeight w, NativeScratch? scratch = null)
    {
        if (w.Type == GgmlType.F32) return (float*)w.Data;
        var dst = (float*)(scratch ?? _normWeight).Ensure((long)w.Columns * sizeof(float));
        Kernels.Embed.RowToF32(w.Data, w.Type, w.Traits, w.RowBytes, dst, w.Columns);
        return dst;
    }

    private static CpuTensor AsTensor(BackendTensor t) => t as CpuTensor ?? throw new ArgumentException($"{t.GetType().Name} is not a CPU tensor");
    private static CpuWeight AsWeight(IBackendWeight w) => w as CpuWeight ?? throw new ArgumentException($"{w.GetType().Name} is not a CPU weight");
    private static CpuKvCache AsCache(IKvCache c) => c as CpuKvCache ?? throw new ArgumentException($"{c.GetType().Name} is not a CPU KV cache");

    private static void RequireCols(CpuTensor t, int cols, string what)
    {
        if (t.Cols != cols) throw new ArgumentException($"{what} has {t.Cols} columns, expected {cols}");
    }

    private static string CpuModelName()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                    if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':') is int colon and >= 0)
                        return line[(colon + 1)..].Trim();
        }
        catch (IOException) { }
        return $"{RuntimeInformation.ProcessArchitecture} CPU";
    }
}
