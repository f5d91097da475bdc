// IBackend on one NVIDIA GPU: PTX kernels + cuBLAS on one stream; steps of up to MaxGraphRows rows captured once per row
// count as a CUDA graph and replayed.
using System.Runtime.InteropServices;
using Minerva.Native.Backends.Cuda.Interop;
using Minerva.Native.Execution;
using Minerva.Native.Tensors;

namespace Minerva.Native.Backends.Cuda;

/// <summary>
/// The CUDA backend. Weights are uploaded once, activations are F32 on the device and the KV cache is F16. Each row's token,
/// position and sequence live in a device step buffer (<see cref="StepLayout"/>) written by
/// <see cref="SetInput(ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int})"/>, so a captured decode step replays for
/// every position and sequence. Nothing in a step waits for the host; <see cref="ReadRow"/> and <see cref="ArgMax"/> synchronise.
/// </summary>
internal sealed unsafe partial class CudaBackend : IBackend
{
    private readonly CudaDevice _device;
    private readonly GpuContext _gpu;
    private readonly CudaEvent _inputCopied;
    private readonly List<CudaKvCache> _caches = new();
    private DeviceBuffer _step;               // int [StepLayout.Ints(max rows)]: row count, (token, position, sequence) per row
    private PinnedHostBuffer _stepHost;
    private PinnedHostBuffer? _readback;
    private DeviceBuffer? _lowpActivations;   // x converted to F16/BF16 for cuBLAS: [rows, cols]
    private DeviceBuffer? _f16Weight;         // one dequantized weight: F16 [rows, cols]
    private DeviceBuffer? _attnPartial;       // decode partials: F32 [rows, heads, splits, headDim + 2]
    private DeviceBuffer? _argMaxOut;         // int [1]
    private DeviceBuffer? _sampleIo;          // [float u, int token]
    private readonly Dictionary<int, (CudaGraphExec Graph, ulong Fingerprint)> _graphs = new();   // by the step's row count
    private int _tokenCount;
    private bool _inputPending;

    private CudaBackend(CudaDevice device, PtxSource kernels)
    {
        _device = device;
        _gpu = new GpuContext(device, kernels);
        _inputCopied = new CudaEvent();
        _step = new DeviceBuffer(StepBytes(512));
        _stepHost = new PinnedHostBuffer(StepBytes(512));
        UseGraphs = Environment.GetEnvironmentVariable("MINERVA_CUDA_GRAPHS") != "0" && !KernelProfiler.Enabled;
    }

    /// <summary>Opens GPU <paramref name="ordinal"/>; kernels from <paramref name="kernels"/> (default: <see cref="PtxSource.Default"/>).</summary>
    public static CudaBackend Create(int ordinal = 0, PtxSource? kernels = null)
    {
        kernels ??= PtxSource.Default;
        var device = CudaDevice.Open(ordinal, kernels);
        try { return new CudaBackend(device, kernels); }
        catch { device.Dispose(); throw; }
    }

    public string Name => "cuda";
    public string DeviceName => _device.Description;
    public CudaDevice Device => _device;
    public long? DeviceMemoryInUse => _device.MemoryInfo() is var (free, total) ? total - free : null;

    /// <summary>Capture steps of up to <see cref="MaxGraphRows"/> rows as graphs (MINERVA_CUDA_GRAPHS=0 turns it off).</summary>
    public bool UseGraphs { get; set; }
    /// <summary>Steps of 1..this many rows (decode rows of as many sequences) run as graphs, one per row count.</summary>
    public int MaxGraphRows { get; set; } = 8;
    /// <summary>How many times a step was captured, and how many times a captured graph was replayed.</summary>
    public int GraphCaptures { get; private set; }
    public int GraphReplays { get; private set; }

    private static long StepBytes(int rows) => (long)StepLayout.Ints(rows) * sizeof(int);
    private int StepRowCapacity => (int)((_step.Bytes / sizeof(int) - StepLayout.Rows) / StepLayout.RowInts);

    public void PrepareMatMul(IBackendWeight weight) { }

    public IBackendWeight Load(WeightTensor weight)
    {
        _device.MakeCurrent();
        var type = weight.Type;
        if (weight.Dims.Length == 1 && type is GgmlType.F16 or GgmlType.BF16 or GgmlType.F32)
            return new CudaWeight(weight, GgmlType.F32, UploadVectorAsF32(weight));
        if (type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16) && !Kernels.QuantSuffix.ContainsKey(type))
            throw new NotSupportedException($"{weight.Name}: tensor type {GgmlTypes.Info(type).Name} has no CUDA kernels");
        var buffer = new DeviceBuffer(weight.ByteCount);
        try { buffer.Upload(weight.Data, weight.ByteCount); }
        catch { buffer.Dispose(); throw; }
        return new CudaWeight(weight, type, buffer);
    }

    private static DeviceBuffer UploadVectorAsF32(WeightTensor w)
    {
        long n = w.ElementCount;
        var values = new float[n];
        for (long i = 0; i < n; i++)
            values[i] = w.Type switch
            {
                GgmlType.F32 => ((float*)w.Data)[i],
                GgmlType.F16 => (float)((Half*)w.Data)[i],
                _ => BitConverter.Int32BitsToSingle(((ushort*)w.Data)[i] << 16),
            };
        var buffer = new DeviceBuffer(n * sizeof(float));
        buffer.Upload<float>(values);
        return buffer;
    }

    public BackendTensor Allocate(int capacity, int cols)
    {
        _device.MakeCurrent();
        return new CudaTensor(capacity, cols);
    }

    public IKvCache AllocateKvCache(int layers, int contextLength, int kvDim) => AllocateKvCache(layers, 1, contextLength, kvDim);

    public IKvCache AllocateKvCache(int layers, int sequences, int contextLength, int kvDim)
    {
        _device.MakeCurrent();
        var cache = new CudaKvCache(layers, sequences, contextLength, kvDim);
        _caches.RemoveAll(c => c.IsDisposed);
        _caches.Add(cache);
        return cache;
    }

    /// <summary>The rows of a step: each row's token, position and sequence go to the device in one copy.</summary>
    public void SetInput(ReadOnlySpan<int> tokens, ReadOnlySpan<int> positions, ReadOnlySpan<int> sequences)
    {
        _device.MakeCurrent();
        if (_gpu.Mode != IssueMode.Direct) throw new InvalidOperationException("SetInput inside a step");
        if (positions.Length != tokens.Length || sequences.Length != tokens.Length)
            throw new ArgumentException($"{tokens.Length} tokens, {positions.Length} positions, {sequences.Length} sequences");
        _caches.RemoveAll(c => c.IsDisposed);
        foreach (var c in _caches)
            for (int r = 0; r < tokens.Length; r++)
            {
                if ((uint)sequences[r] >= (uint)c.Sequences)
                    throw new ArgumentOutOfRangeException(nameof(sequences), $"row {r}: sequence {sequences[r]} outside the cache's {c.Sequences}");
                if ((uint)positions[r] >= (uint)c.ContextLength)
                    throw new ArgumentOutOfRangeException(nameof(positions), $"row {r}: position {positions[r]} outside the context of {c.ContextLength}");
            }
        _inputCopied.Synchronize(); // the pinned buffer may still be the source of the previous copy
        if (tokens.Length > StepRowCapacity)
        {
            _gpu.Stream.Synchronize();
            _step.Dispose();
            _stepHost.Dispose();
            int capacity = Math.Max(tokens.Length, 2 * StepRowCapacity);
            _step = new DeviceBuffer(StepBytes(capacity));
            _stepHost = new PinnedHostBuffer(StepBytes(capacity));
        }
        int ints = StepLayout.Write(_stepHost.AsSpan<int>(), tokens, positions, sequences);
        CuDriver.Check(CuDriver.cuMemcpyHtoDAsync_v2(_step.Pointer, _stepHost.Pointer, (nuint)ints * sizeof(int), _gpu.Stream.Handle), "cuMemcpyHtoDAsync_v2");
        _inputCopied.Record(_gpu.Stream);
        _tokenCount = tokens.Length;
        _inputPending = true;
    }

    /// <summary>Rows of sequence 0 at positions <paramref name="startPos"/>, <paramref name="startPos"/> + 1, ... (tests and tools).</summary>
    public void SetInput(ReadOnlySpan<int> tokens, int startPos)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(startPos);
        var positions = new int[tokens.Length];
        for (int r = 0; r < positions.Length; r++) positions[r] = startPos + r;
        SetInput(tokens, positions, new int[tokens.Length]);
    }

    /// <summary>
    /// Runs a step; with graphs on, a step of up to <see cref="MaxGraphRows"/> rows is first only fingerprinted, then replays
    /// the graph captured for its row count when that issued the same work, else is captured (replacing it) and launched.
    /// The tokens, positions and sequences come from the step buffer, so a graph serves any of them.
    /// </summary>
    public void Run(int tokenCount, Action step)
    {
        _device.MakeCurrent();
        if (!_inputPending || tokenCount != _tokenCount)
            throw new InvalidOperationException($"Run({tokenCount}) needs SetInput with {tokenCount} tokens first (last SetInput had {_tokenCount})");
        _inputPending = false;
        if (!UseGraphs || tokenCount > MaxGraphRows)
        {
            step();
            return;
        }
        _gpu.ResetFingerprint();
        _gpu.Mode = IssueMode.Fingerprint;
        try { step(); }
        finally { _gpu.Mode = IssueMode.Direct; }
        if (_graphs.TryGetValue(tokenCount, out var held))
        {
            if (held.Fingerprint == _gpu.Fingerprint)
            {
                held.Graph.Launch(_gpu.Stream);
                GraphReplays++;
                return;
            }
            _graphs.Remove(tokenCount);
            held.Graph.Dispose();
        }
        var graph = Capture(step);
        _graphs[tokenCount] = (graph, _gpu.Fingerprint);
        graph.Launch(_gpu.Stream);
    }

    private CudaGraphExec Capture(Action step)
    {
        ulong expected = _gpu.Fingerprint;
        CuDriver.Check(CuDriver.cuStreamBeginCapture_v2(_gpu.Stream.Handle, CuStreamCaptureMode.ThreadLocal), "cuStreamBeginCapture_v2");
        _gpu.ResetFingerprint();
        _gpu.Mode = IssueMode.Capture;
        try { step(); }
        catch
        {
            _gpu.Mode = IssueMode.Direct;
            try { CudaGraphExec.EndCapture(_gpu.Stream).Dispose(); } catch (CudaException) { /* the step's own error is the one to report */ }
            throw;
        }
        finally { _gpu.Mode = IssueMode.Direct; }
        var graph = CudaGraphExec.EndCapture(_gpu.Stream);
        if (_gpu.Fingerprint != expected)
        {
            graph.Dispose();
            throw new InvalidOperationException("the step issued different work while being captured than when fingerprinted (is it deterministic?)");
        }
        GraphCaptures++;
        return graph;
    }

    /// <summary>Grows a scratch buffer; the stream is drained first because in-flight work may still use the old one.</summary>
    private DeviceBuffer Scratch(ref DeviceBuffer? buffer, long bytes)
    {
        if (buffer is not null && buffer.Bytes >= bytes) return buffer;
        if (_gpu.Mode == IssueMode.Capture) throw new InvalidOperationException("scratch must grow before capture (fingerprint pass)");
        if (buffer is not null)
        {
            _gpu.Stream.Synchronize();
            buffer.Dispose();
        }
        buffer = new DeviceBuffer(bytes);
        return buffer;
    }

    /// <summary>Waits for all issued work (used by timing code and tests).</summary>
    public void Synchronize()
    {
        _device.MakeCurrent();
        _gpu.Stream.Synchronize();
    }

    public void Dispose()
    {
        _device.MakeCurrent();
        try { _gpu.Stream.Synchronize(); } catch (CudaException) { /* a failed kernel must not stop the frees */ }
        foreach (var (graph, _) in _graphs.Values) graph.Dispose();
        _graphs.Clear();
        _lowpActivations?.Dispose();
        _f16Weight?.Dispose();
        _attnPartial?.Dispose();
        _argMaxOut?.Dispose();
        _sampleIo?.Dispose();
        _readback?.Dispose();
        _step.Dispose();
        _stepHost.Dispose();
        _inputCopied.Dispose();
        _gpu.Dispose();
        _device.Dispose();
    }

    private static CudaTensor T(BackendTensor t) => t as CudaTensor ?? throw new ArgumentException("tensor of another backend");
    private static CudaWeight W(IBackendWeight w) => w as CudaWeight ?? throw new ArgumentException("weight of another backend");
    private static CudaKvCache C(IKvCache c) => c as CudaKvCache ?? throw new ArgumentException("KV cache of another backend");
}
