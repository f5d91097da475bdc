using Minerva.Native.Generation;
using Minerva.Native.Tensors;

namespace Minerva.Native.Execution;

/// <summary>
/// An F32 activation buffer owned by a backend, row-major <c>[Rows, Cols]</c>. It is allocated once with room for
/// <see cref="Capacity"/> rows; the executor sets <see cref="Rows"/> to the number of tokens of the current step.
/// </summary>
internal abstract class BackendTensor : IDisposable
{
    protected BackendTensor(int capacity, int cols)
    {
        Capacity = capacity;
        Cols = cols;
        Rows = capacity;
    }

    public int Capacity { get; }
    public int Cols { get; }

    private int _rows;
    public int Rows
    {
        get => _rows;
        set => _rows = value >= 0 && value <= Capacity ? value : throw new ArgumentOutOfRangeException(nameof(value), $"{value} rows > capacity {Capacity}");
    }

    public abstract void Dispose();
}

/// <summary>A weight as a backend holds it (a view of the mapping on the CPU, a device copy on a GPU).</summary>
internal interface IBackendWeight : IDisposable
{
    WeightTensor Source { get; }
}

/// <summary>
/// The key/value cache of every layer for a pool of sequences, held by a backend:
/// <c>[layers, sequences, contextLength, kvDim]</c> for K and for V (each sequence a slot of <c>contextLength</c> positions).
/// </summary>
internal interface IKvCache : IDisposable
{
    int Layers { get; }
    int Sequences { get; }
    int ContextLength { get; }
    int KvDim { get; }
}

/// <summary>
/// RoPE settings: base frequency, linear position scaling, the pairing of dimensions and, for Llama 3's scaling, per-pair
/// frequency divisors (<c>rope_freqs.weight</c>, F32 <c>[headDim / 2]</c>): pair i turns by p / Scale * Theta^(-2i/d) / FreqFactors[i]
/// (ggml_rope_ext with freq_factors).
/// </summary>
internal readonly record struct RopeParameters(float Theta, float Scale, RopeLayout Layout, IBackendWeight? FreqFactors = null);


/// <summary>
/// Attention geometry: query heads, KV heads (GQA groups = Heads / KvHeads), head size and the sliding window (a token at
/// position p sees positions p - Window + 1 .. p; 0 = the whole causal prefix).
/// </summary>
internal readonly record struct AttentionShape(int Heads, int KvHeads, int HeadDim, int Window = 0);

/// <summary>
/// The ops of the Llama forward pass, implemented once per device. The executor writes the pass once against this.
/// Every op works on the first <see cref="BackendTensor.Rows"/> rows of its tensors; row r of a step is a token at a
/// position of a sequence (from <see cref="SetInput(ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int})"/>): rows of
/// different sequences share the weights of one step, RoPE, the KV store and attention read each row's own position and
/// sequence. Rows of one sequence are consecutive positions in order. Ops are asynchronous on devices that can be: only
/// <see cref="ReadRow"/> and <see cref="ArgMax"/> wait for the results.
/// </summary>
internal interface IBackend : IDisposable
{
    /// <summary>"cpu" or "cuda".</summary>
    string Name { get; }
    /// <summary>What a person reads: CPU model and SIMD tier, or GPU name.</summary>
    string DeviceName { get; }
    /// <summary>Device memory in use on the backend's device (total − free, so other processes count too); null on the CPU.</summary>
    long? DeviceMemoryInUse { get; }

    IBackendWeight Load(WeightTensor weight);
    /// <summary>Says the weight will be a matmul's right-hand side, so a backend that lays such weights out for its kernels
    /// (the CPU's repacked row groups) does it now, at load, rather than at the first matmul.</summary>
    void PrepareMatMul(IBackendWeight weight);
    BackendTensor Allocate(int capacity, int cols);
    /// <summary>A cache of <paramref name="sequences"/> slots of <paramref name="contextLength"/> positions each.</summary>
    IKvCache AllocateKvCache(int layers, int sequences, int contextLength, int kvDim);

    /// <summary>
    /// Sets the rows of the next step: token, position and sequence (KV slot) of each (copied before the step runs).
    /// </summary>
    void SetInput(ReadOnlySpan<int> tokens, ReadOnlySpan<int> positions, ReadOnlySpan<int> sequences);


    /// <summary>Runs one forward step made of the ops that <paramref name="step"/> issues. A device backend may capture it
    /// once as a graph (for steps of few rows, such as decode steps) and replay it; <see cref="SetInput(ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int})"/> must be called before each run.</summary>
    void Run(int tokenCount, Action step);

    /// <summary>output[r] = table row of token r.</summary>
    void Embed(IBackendWeight table, BackendTensor output);
    /// <summary>output[r] = x[r] / sqrt(mean(x[r]^2) + eps) * weight.</summary>
    void RmsNorm(BackendTensor x, IBackendWeight weight, float eps, BackendTensor output);
    /// <summary>output[r, j] = sum_k x[r, k] * weight[j, k]  (output = x · weightᵀ).</summary>
    void MatMul(BackendTensor x, IBackendWeight weight, BackendTensor output);
    /// <summary>Rotates each head of row r of x in place at row r's position.</summary>
    void Rope(BackendTensor x, int heads, int headDim, RopeParameters rope);
    /// <summary>Writes k and v row r into the cache of <paramref name="layer"/> at row r's sequence and position.</summary>
    void StoreKv(IKvCache cache, int layer, BackendTensor k, BackendTensor v);
    /// <summary>Causal softmax(q·Kᵀ/sqrt(headDim))·V of row r over its sequence's positions 0..p (p its position; the last
    /// <see cref="AttentionShape.Window"/> of them when it is set), with GQA.</summary>
    void Attention(BackendTensor q, IKvCache cache, int layer, AttentionShape shape, BackendTensor output);
    /// <summary>output = silu(gate) * up.</summary>
    void SiluMul(BackendTensor gate, BackendTensor up, BackendTensor output);
    /// <summary>x += y.</summary>
    void Add(BackendTensor x, BackendTensor y);
    /// <summary>x[r] += bias for every row (an F32 vector of x's width: the Q/K/V projection biases of Qwen2).</summary>
    void AddBias(BackendTensor x, IBackendWeight bias);
    /// <summary>dst[0..count) = src[srcRow..srcRow+count).</summary>
    void CopyRows(BackendTensor src, int srcRow, BackendTensor dst, int count);
    /// <summary>dst[i] = src[rows[i]] for every i; dst then has rows.Length rows.</summary>
    void GatherRows(BackendTensor src, ReadOnlySpan<int> rows, BackendTensor dst);

    /// <summary>Copies one row to the host (waits for the step).</summary>
    void ReadRow(BackendTensor x, int row, Span<float> destination);
    /// <summary>Index of the largest value of a row, the first on ties (waits for the step).</summary>
    int ArgMax(BackendTensor x, int row);

    /// <summary>
    /// Samples a token from a row of logits on the device (top-k → top-p → min-p → temperature → draw at
    /// <paramref name="uniform"/> in [0, 1)), copying back only the token. False when the backend has no device sampler;
    /// the caller then samples on the host with the same chain (<see cref="Generation.Sampler"/>).
    /// </summary>
    bool TrySample(BackendTensor logits, int row, SamplingParameters parameters, float uniform, out int token);
}

/// <summary>One-sequence forms of the step calls, for tests and tools that drive a backend directly.</summary>
internal static class BackendExtensions
{
    /// <summary>A cache for one sequence.</summary>
    public static IKvCache AllocateKvCache(this IBackend backend, int layers, int contextLength, int kvDim) =>
        backend.AllocateKvCache(layers, 1, contextLength, kvDim);

    /// <summary>Rows of sequence 0 at positions <paramref name="startPos"/>, <paramref name="startPos"/> + 1, ...</summary>
    public static void SetInput(this IBackend backend, ReadOnlySpan<int> tokens, int startPos)
    {
        var positions = new int[tokens.Length];
        for (int r = 0; r < positions.Length; r++) positions[r] = startPos + r;
        backend.SetInput(tokens, positions, new int[tokens.Length]);
    }
}
