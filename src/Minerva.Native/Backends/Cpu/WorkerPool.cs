// Persistent worker threads for parallel-for over chunks: publish a job, every thread claims chunks with one atomic
// counter, the caller joins in and waits on a spin-then-block barrier (the ggml threadpool pattern, without per-call allocation).
using System.Runtime.ExceptionServices;

namespace Minerva.Native.Backends.Cpu;

/// <summary>A unit of parallel work: <see cref="Execute"/> runs chunk <c>chunk</c> on thread <c>worker</c> (0 = caller).
/// Jobs are preallocated objects whose fields hold their arguments, so a dispatch allocates nothing.</summary>
internal interface IParallelJob
{
    void Execute(int chunk, int worker);
}

internal sealed class WorkerPool : IDisposable
{
    // Spins (with yields after the first few) before a worker blocks: ops of a step follow each other within microseconds.
    private const int SpinsBeforeBlocking = 400;

    private readonly Thread[] _threads;
    private readonly object _gate = new();
    private IParallelJob? _job;
    private int _chunks;
    private int _nextChunk;
    private int _remaining;
    private long _generation;
    private int _sleepers;
    private volatile bool _stopping;
    private ExceptionDispatchInfo? _error;

    public WorkerPool(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "need at least one thread");
        Threads = threads;
        _threads = new Thread[threads - 1];
        for (int i = 0; i < _threads.Length; i++)
        {
            int worker = i + 1;
            _threads[i] = new Thread(() => WorkerLoop(worker)) { IsBackground = true, Name = $"minerva-cpu-{worker}" };
            _threads[i].Start();
        }
    }

    /// <summary>Threads that run a job, the caller included.</summary>
    public int Threads { get; }

    /// <summary>Runs chunks 0..chunks-1 of <paramref name="job"/> on every thread and returns when all are done.</summary>
    public void Run(IParallelJob job, int chunks)
    {
        ObjectDisposedException.ThrowIf(_stopping, this);
        if (chunks <= 0) return;
        if (chunks == 1 || _threads.Length == 0)
        {
            for (int c = 0; c < chunks; c++) job.Execute(c, 0);
            return;
        }

        _job = job;
        _chunks = chunks;
        _nextChunk = 0;
        _remaining = _threads.Length;
        Interlocked.Increment(ref _generation);
        if (Volatile.Read(ref _sleepers) > 0)
            lock (_gate) Monitor.PulseAll(_gate);

        try
        {
            Work(job, 0);
        }
        catch
        {
            Interlocked.Exchange(ref _nextChunk, int.MaxValue / 2);
            throw;
        }
        finally
        {
            var spin = new SpinWait();
            while (Volatile.Read(ref _remaining) > 0) spin.SpinOnce(sleep1Threshold: -1);
            _job = null;
        }
        if (_error is { } error)
        {
            _error = null;
            error.Throw();
        }
    }

    private void Work(IParallelJob job, int worker)
    {
        int chunks = _chunks;
        for (int c = Interlocked.Increment(ref _nextChunk) - 1; c < chunks; c = Interlocked.Increment(ref _nextChunk) - 1)
            job.Execute(c, worker);
    }

    private void WorkerLoop(int worker)
    {
        long seen = 0;
        while (true)
        {
            var spin = new SpinWait();
            while (Volatile.Read(ref _generation) == seen && !_stopping)
            {
                if (spin.Count < SpinsBeforeBlocking) { spin.SpinOnce(sleep1Threshold: -1); continue; }
                lock (_gate)
                {
                    Interlocked.Increment(ref _sleepers);
                    while (Volatile.Read(ref _generation) == seen && !_stopping) Monitor.Wait(_gate);
                    Interlocked.Decrement(ref _sleepers);
                }
            }
            if (_stopping) return;
            seen = Volatile.Read(ref _generation);
            try
            {
                Work(_job!, worker);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(e), null);
                Interlocked.Exchange(ref _nextChunk, int.MaxValue / 2);
            }
            finally
            {
                Interlocked.Decrement(ref _remaining);
            }
        }
    }

    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        lock (_gate) Monitor.PulseAll(_gate);
        foreach (var t in _threads) t.Join();
    }
}
