// Continuous batching (llama.cpp server's slots, vLLM's scheduler): one thread owns the executor; every step takes one
// decode row from each generating sequence and fills the rest of the batch with prompt chunks, so the weights are read
// once per step for all of them. Sequences join and leave between steps.
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Minerva.Native.Generation;

namespace Minerva.Native.Execution;

/// <summary>Work one sequence asks of the scheduler: evaluate tokens, then optionally generate.</summary>
internal abstract class SequenceWork
{
    protected SequenceWork(int sequence, int[] tokens, int startPos, CancellationToken cancellation)
    {
        Sequence = sequence;
        Tokens = tokens;
        Position = startPos;
        Cancellation = cancellation;
    }

    /// <summary>Starts the work over (a reused work object): <paramref name="tokens"/> from <paramref name="startPos"/>.</summary>
    protected void Restart(int[] tokens, int startPos)
    {
        Tokens = tokens;
        Position = startPos;
        (Done, FirstLogitRow, LogitCount, StepRows) = (0, 0, 0, 0);
    }

    public int Sequence { get; }
    /// <summary>Tokens still to evaluate (a prompt, then one sampled token per decode step).</summary>
    public int[] Tokens { get; protected set; }
    public int Done { get; set; }
    /// <summary>Position of Tokens[Done] in the sequence.</summary>
    public int Position { get; set; }
    public CancellationToken Cancellation { get; }
    /// <summary>Rows of this work's tokens whose logits the current step computes: their indices in the step's logits.</summary>
    public int FirstLogitRow { get; set; }
    public int LogitCount { get; set; }
    /// <summary>Rows of this work in the current step.</summary>
    public int StepRows { get; set; }

    /// <summary>Whether row <paramref name="index"/> of <see cref="Tokens"/> needs its logits.</summary>
    public abstract bool WantsLogits(int index);

    /// <summary>
    /// Called on the scheduler thread after a step that evaluated tokens Done - StepRows .. Done - 1; false when finished,
    /// and the scheduler then calls <see cref="Complete"/> once the work is off its queue (the caller may submit more).
    /// </summary>
    public abstract bool AfterStep(IBackend backend, BackendTensor logits);

    /// <summary>Tells the caller the work has finished (after AfterStep returned false).</summary>
    public abstract void Complete();

    /// <summary>Ends the work with an error or cancellation, once it is off the queue.</summary>
    public abstract void Fail(Exception error);
}

/// <summary>What an evaluation hands back: the last token's logits, every token's, or the last one's arg-max.</summary>
internal enum EvaluateMode { Last, All, ArgMax }

/// <summary>Evaluates tokens and hands back the logits of the last one or of every one, or the last one's arg-max. One per
/// session, reused call after call (<see cref="Start"/>, <see cref="Wait"/>): a decode step allocates nothing.</summary>
internal sealed class EvaluateWork : SequenceWork
{
    private readonly int _vocab;
    private readonly ManualResetEventSlim _done = new(false);
    private float[]? _logits;            // [tokens or 1, vocab]
    private EvaluateMode _mode;
    private Exception? _error;

    public EvaluateWork(int sequence, int vocab) : base(sequence, [], 0, CancellationToken.None) => _vocab = vocab;

    /// <summary>The arg-max of the last token's logits (<see cref="EvaluateMode.ArgMax"/>).</summary>
    public int ArgMax { get; private set; } = -1;

    /// <summary>Readies the work for one call; submit it next, then <see cref="Wait"/>.</summary>
    public void Start(int[] tokens, int startPos, float[]? logits, EvaluateMode mode)
    {
        Restart(tokens, startPos);
        (_logits, _mode, _error, ArgMax) = (logits, mode, null, -1);
        _done.Reset();
    }

    /// <summary>Blocks until the scheduler has finished the work; rethrows its error.</summary>
    public void Wait()
    {
        _done.Wait();
        if (_error is { } error) ExceptionDispatchInfo.Throw(error);
    }

    public override bool WantsLogits(int index) => _mode == EvaluateMode.All || index == Tokens.Length - 1;

    public override bool AfterStep(IBackend backend, BackendTensor logits)
    {
        for (int i = 0; i < LogitCount; i++)
        {
            if (_mode == EvaluateMode.ArgMax) ArgMax = backend.ArgMax(logits, FirstLogitRow + i);
            else backend.ReadRow(logits, FirstLogitRow + i, _logits.AsSpan((_mode == EvaluateMode.All ? Done - StepRows + i : 0) * _vocab, _vocab));
        }
        return Done < Tokens.Length;
    }

    public override void Complete() => _done.Set();

    public override void Fail(Exception error)
    {
        _error = error;
        _done.Set();
    }
}

/// <summary>Evaluates a prompt, then samples and evaluates one token per step until a stop condition.</summary>
internal sealed class GenerateWork : SequenceWork
{
    private readonly GenerationOptions _options;
    private readonly Sampler? _sampler;
    private readonly Func<int, bool> _isEog;
    private readonly int _contextLength;
    private readonly float[]? _row;
    private readonly int[] _one = new int[1];
    private int _produced;
    public readonly Channel<int> Output = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    /// <summary>The last token handed out but not evaluated (the sequence continues from it), -1 when there is none.</summary>
    public int Pending { get; private set; } = -1;

    public GenerateWork(int sequence, int[] prompt, int startPos, GenerationOptions options, int vocab, Func<int, bool> isEog,
        int contextLength, CancellationToken cancellation) : base(sequence, prompt, startPos, cancellation)
    {
        _options = options;
        _isEog = isEog;
        _contextLength = contextLength;
        _sampler = options.IsGreedy && options.RepeatPenalty == 1f ? null : new Sampler(options, vocab);
        if (_sampler is not null)
        {
            foreach (int t in prompt) _sampler.Accept(t);
            _row = new float[vocab];
        }
    }

    public override bool WantsLogits(int index) => index == Tokens.Length - 1;

    public override bool AfterStep(IBackend backend, BackendTensor logits)
    {
        if (Done < Tokens.Length) return true;      // the prompt continues in the next step
        Pending = -1;                                // the token handed out last is now in the cache
        if (Cancellation.IsCancellationRequested)
        {
            _ending = new OperationCanceledException(Cancellation);
            return false;
        }
        int next = Pick(backend, logits, FirstLogitRow);
        if (!_options.IgnoreEos && _isEog(next)) return false;
        Output.Writer.TryWrite(next);
        _sampler?.Accept(next);
        Pending = next;
        if (++_produced >= _options.MaxTokens || Position >= _contextLength) return false;
        _one[0] = next;
        Tokens = _one;
        Done = 0;
        return true;
    }

    // Greedy: arg-max on the device. Sampling: on the device when the backend can (one token copied back), else on the
    // host from the logits row; the repetition penalty needs the recent tokens, so it always samples on the host.
    private int Pick(IBackend backend, BackendTensor logits, int row)
    {
        if (_sampler is null) return backend.ArgMax(logits, row);
        if (!_sampler.UsesRecentTokens)
        {
            double u = _sampler.NextUniform();
            if (backend.TrySample(logits, row, _sampler.Parameters, (float)u, out int token)) return token;
            backend.ReadRow(logits, row, _row);
            return _sampler.SampleWith(_row!, u);
        }
        backend.ReadRow(logits, row, _row);
        return _sampler.Sample(_row!);
    }

    private Exception? _ending;

    public override void Complete() => Output.Writer.TryComplete(_ending);

    public override void Fail(Exception error) => Output.Writer.TryComplete(error);
}

/// <summary>
/// Runs every sequence's work on one executor from one thread. Each step: one decode row per generating sequence first,
/// then prompt chunks (oldest first) up to the executor's batch size.
/// </summary>
internal sealed class BatchScheduler : IDisposable
{
    private readonly LlamaExecutor _executor;
    private readonly Thread _thread;
    private readonly object _gate = new();   // Monitor: Wait/Pulse for new work
    private readonly List<SequenceWork> _queue = [];      // in arrival order
    private readonly List<SequenceWork> _step = [];
    private readonly int[] _tokens, _positions, _sequences, _logitRows;
    private bool _stopping;
    private int _logitCount;   // logit rows of the step Compose built

    public BatchScheduler(LlamaExecutor executor)
    {
        _executor = executor;
        int n = executor.BatchSize;
        (_tokens, _positions, _sequences, _logitRows) = (new int[n], new int[n], new int[n], new int[n]);
        _thread = new Thread(Loop) { IsBackground = true, Name = "minerva-scheduler" };
        _thread.Start();
    }

    /// <summary>Steps run so far and rows evaluated in them (for tests and metrics).</summary>
    public long Steps { get; private set; }
    public long RowsEvaluated { get; private set; }
    /// <summary>Work waiting or running.</summary>
    public int QueueDepth { get { lock (_gate) return _queue.Count; } }

    public void Submit(SequenceWork work)
    {
        lock (_gate)
        {
            if (_stopping) throw new ObjectDisposedException(nameof(LlamaModel), "the model is disposed");
            foreach (var queued in _queue)
                if (queued.Sequence == work.Sequence) throw new InvalidOperationException($"sequence {work.Sequence} already has work running");
            _queue.Add(work);
            Monitor.Pulse(_gate);
        }
    }

    private void Loop()
    {
        while (true)
        {
            int rows;
            lock (_gate)
            {
                while (!_stopping && _queue.Count == 0) Monitor.Wait(_gate);
                if (_stopping) return;
                rows = Compose();
            }
            if (rows == 0) continue;
            try
            {
                _executor.Forward(_tokens.AsSpan(0, rows), _positions.AsSpan(0, rows), _sequences.AsSpan(0, rows), _logitRows.AsSpan(0, _logitCount));
                Steps++;
                RowsEvaluated += rows;
                Distribute();
            }
            catch (Exception e)
            {
                lock (_gate) _queue.RemoveAll(_step.Contains);
                foreach (var w in _step) w.Fail(e);
            }
        }
    }

    // Chooses this step's rows: decode rows (work with one token left) first, then prompt chunks in arrival order.
    private int Compose()
    {
        _step.Clear();
        int rows = 0, logits = 0, budget = _executor.BatchSize;
        for (int i = _queue.Count - 1; i >= 0; i--)
        {
            var w = _queue[i];
            if (!w.Cancellation.IsCancellationRequested) continue;
            _queue.RemoveAt(i);
            w.Fail(new OperationCanceledException(w.Cancellation));   // off the queue first: the caller may submit again
        }
        foreach (bool decode in (ReadOnlySpan<bool>)[true, false])
            foreach (var w in _queue)
            {
                int left = w.Tokens.Length - w.Done;
                if (left == 0 || (left == 1) != decode || rows == budget) continue;
                int take = Math.Min(left, budget - rows);
                w.FirstLogitRow = logits;
                w.LogitCount = 0;
                w.StepRows = take;
                for (int i = 0; i < take; i++)
                {
                    int index = w.Done + i;
                    (_tokens[rows], _positions[rows], _sequences[rows]) = (w.Tokens[index], w.Position + i, w.Sequence);
                    if (w.WantsLogits(index))
                    {
                        _logitRows[logits++] = rows;
                        w.LogitCount++;
                    }
                    rows++;
                }
                w.Done += take;
                w.Position += take;
                _step.Add(w);
            }
        _logitCount = logits;
        return rows;
    }

    private void Distribute()
    {
        var backend = _executor.Backend;
        foreach (var w in _step)
        {
            bool goOn;
            Exception? error = null;
            try { goOn = w.AfterStep(backend, _executor.Logits); }
            catch (Exception e) { error = e; goOn = false; }
            if (goOn) continue;
            lock (_gate) _queue.Remove(w);
            if (error is null) w.Complete(); else w.Fail(error);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }
        if (Thread.CurrentThread != _thread) _thread.Join();
        List<SequenceWork> left;
        lock (_gate)
        {
            left = [.. _queue];
            _queue.Clear();
        }
        foreach (var w in left) w.Fail(new ObjectDisposedException(nameof(LlamaModel), "the model was disposed while this sequence was running"));
    }
}
