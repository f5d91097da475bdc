using System.Diagnostics;
using Minerva.Native.Execution;
using Minerva.Native.Model;
using Minerva.Native.Tokenization;

namespace Minerva.Native;

/// <summary>
/// A loaded Llama-family model: the file (GGUF or safetensors, memory-mapped), its tokenizer, its weights on a backend and
/// a pool of KV slots. Thread-safe: create one <see cref="InferenceSession"/> per conversation, from any threads; their
/// steps are batched together by the model's scheduler (continuous batching), so the weights are read once per step for
/// every active conversation.
/// </summary>
/// <example>
/// <code>
/// using var model = LlamaModel.Load("models/tinyllama.Q4_K_M.gguf", new ModelOptions { MaxSequences = 8 });
/// using var session = model.CreateSession();
/// await foreach (var text in session.GenerateAsync("Once upon a time", new GenerationOptions { MaxTokens = 64 }))
///     Console.Write(text);
/// </code>
/// </example>
public sealed class LlamaModel : IDisposable
{
    private readonly ModelSource _source;
    private readonly BackendModel _weights;
    private readonly LlamaExecutor _executor;
    private readonly BatchScheduler _scheduler;
    private readonly bool[] _slots;            // KV slot in use by a session
    private readonly Lock _gate = new();
    private TaskCompletionSource _slotFreed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _disposed;

    private LlamaModel(ModelSource source, BackendModel weights, LlamaExecutor executor, TimeSpan loadTime)
    {
        _source = source;
        _weights = weights;
        _executor = executor;
        _scheduler = new BatchScheduler(executor);
        _slots = new bool[executor.Sequences];
        LoadTime = loadTime;
    }

    /// <summary>Loads a .gguf file or a safetensors file/folder; the format is detected from the path.</summary>
    public static LlamaModel Load(string path, ModelOptions? options = null) => Load(path, options, null, CancellationToken.None);

    /// <summary>
    /// Loads the model on a thread-pool thread, reporting 0..1 as the weights reach the device; cancellation stops it
    /// between tensors.
    /// </summary>
    public static Task<LlamaModel> LoadAsync(string path, ModelOptions? options = null, IProgress<double>? progress = null,
        CancellationToken cancellation = default) =>
        Task.Run(() => Load(path, options, progress, cancellation), cancellation);

    private static LlamaModel Load(string path, ModelOptions? options, IProgress<double>? progress, CancellationToken cancellation)
    {
        options ??= new ModelOptions();
        if (options.MaxSequences <= 0) throw new ArgumentOutOfRangeException(nameof(options), $"MaxSequences {options.MaxSequences} must be positive");
        var clock = Stopwatch.StartNew();
        var source = ModelSource.Open(path);
        IBackend? backend = null;
        BackendModel? weights = null;
        try
        {
            cancellation.ThrowIfCancellationRequested();
            backend = BackendFactory.Create(options.Device, options.Threads);
            weights = new BackendModel(backend, source.Config, source.Weights, progress, cancellation);
            int context = options.ContextLength > 0 ? options.ContextLength : Math.Min(source.Config.ContextLength, ModelOptions.DefaultContextLength);
            var executor = new LlamaExecutor(weights, options.MaxSequences, context, Math.Max(options.BatchSize, options.MaxSequences));
            progress?.Report(1);
            return new LlamaModel(source, weights, executor, clock.Elapsed);
        }
        catch
        {
            weights?.Dispose();
            backend?.Dispose();
            source.Dispose();
            throw;
        }
    }

    public LlamaConfig Config => _source.Config;
    public LlamaTokenizer Tokenizer => _source.Tokenizer;
    /// <summary>"gguf" or "safetensors".</summary>
    public string Format => _source.Format;
    public string Path => _source.Path;
    /// <summary>"cpu" or "cuda".</summary>
    public string BackendName => _weights.Backend.Name;
    public string DeviceName => _weights.Backend.DeviceName;
    public TimeSpan LoadTime { get; }
    /// <summary>GPU memory in use on the model's device (total − free, so other processes count too); null on the CPU.</summary>
    public long? DeviceMemoryInUse => _weights.Backend.DeviceMemoryInUse;

    /// <summary>Bytes of the model file(s).</summary>
    public long FileBytes => _source.FileBytes;
    /// <summary>
    /// Bytes of weights one decoded token reads as stored in the file: every layer tensor, the output norm and the output
    /// matrix (the token embedding table only when it is tied as the output; otherwise one row of it is gathered).
    /// </summary>
    public long WeightBytesPerToken => _source.Weights.BytesPerToken;
    /// <summary>Positions each session can hold (<see cref="ModelOptions.ContextLength"/>).</summary>
    public int ContextLength => _executor.ContextLength;
    /// <summary>Sessions that can exist at once (<see cref="ModelOptions.MaxSequences"/>).</summary>
    public int MaxSequences => _slots.Length;
    /// <summary>Sessions that exist now.</summary>
    public int ActiveSessions { get { lock (_gate) return _slots.Count(s => s); } }
    /// <summary>Forward steps run so far and the rows (tokens) evaluated in them, every session together.</summary>
    public (long Steps, long Tokens) StepCounts => (_scheduler.Steps, _scheduler.RowsEvaluated);
    /// <summary>Calls queued or running in the scheduler.</summary>
    public int QueueDepth => _scheduler.QueueDepth;

    /// <summary>
    /// A new conversation on a free slot of the KV pool; an <see cref="InvalidOperationException"/> when all
    /// <see cref="MaxSequences"/> are in use (dispose a session to free its slot).
    /// </summary>
    public InferenceSession CreateSession()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int slot = Array.IndexOf(_slots, false);
            if (slot < 0)
                throw new InvalidOperationException($"all {_slots.Length} sessions of this model are in use (ModelOptions.MaxSequences); dispose one first");
            _slots[slot] = true;
            return new InferenceSession(this, slot);
        }
    }

    /// <summary><see cref="CreateSession"/>, waiting (cancellably) while every slot is in use.</summary>
    internal async Task<InferenceSession> CreateSessionAsync(CancellationToken cancellation)
    {
        while (true)
        {
            Task freed;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                int slot = Array.IndexOf(_slots, false);
                if (slot >= 0)
                {
                    _slots[slot] = true;
                    return new InferenceSession(this, slot);
                }
                freed = _slotFreed.Task;
            }
            await freed.WaitAsync(cancellation).ConfigureAwait(false);
        }
    }

    internal void Submit(SequenceWork work)
    {
        ThrowIfDisposed();
        _scheduler.Submit(work);
    }

    internal void ReleaseSlot(int slot)
    {
        TaskCompletionSource freed;
        lock (_gate)
        {
            _slots[slot] = false;
            (freed, _slotFreed) = (_slotFreed, new(TaskCreationOptions.RunContinuationsAsynchronously));
        }
        freed.TrySetResult();
    }

    internal void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed)) throw new ObjectDisposedException(nameof(LlamaModel), "the model is disposed");
    }

    /// <summary>
    /// Stops the scheduler (running calls end with an <see cref="ObjectDisposedException"/>), then frees the device
    /// memory and unmaps the file. Sessions still alive fail cleanly afterwards.
    /// </summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
        }
        _slotFreed.TrySetResult();   // waiters see the disposal
        _scheduler.Dispose();
        _executor.Dispose();
        _weights.Dispose();
        _weights.Backend.Dispose();
        _source.Dispose();
    }
}
