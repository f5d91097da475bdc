// The narrow engine surface the bench times: load, one-batch prefill with greedy argmax, one-token decode steps, and
// several greedy streams at once on one model (the concurrency scenario).
using System.Diagnostics;

namespace Minerva.Native.Cli.Bench;

/// <summary>An inference engine as the bench sees it (Minerva.Native through its adapter, llama.cpp in the peer tool, fakes in tests).</summary>
public interface IBenchEngine
{
    /// <summary>Written to the Engine column: "minerva-native", "llama.cpp".</summary>
    string Name { get; }
    string Version { get; }
    /// <summary>Devices this machine can run: always "cpu", plus "cuda" when a GPU is usable.</summary>
    IReadOnlyList<string> AvailableDevices();
    /// <summary>SIMD width in bits the CPU kernels use (0 when unknown).</summary>
    int SimdWidthBits { get; }
    /// <summary>GPU name and driver version, or null when there is none.</summary>
    (string Name, string Driver)? Gpu { get; }
    /// <summary>Writes a synthetic model of <paramref name="preset"/> shape to <paramref name="path"/> (a file, or a folder for safetensors).</summary>
    void WriteSyntheticModel(string preset, string format, string type, string path, IProgress<double>? progress);
    /// <summary>
    /// Loads a model for <paramref name="device"/> that holds <paramref name="sequences"/> sequences at once, each with a KV
    /// cache of <paramref name="contextLength"/> tokens.
    /// </summary>
    BenchModel Load(string path, string device, int threads, int contextLength, int sequences = 1);
}

/// <summary>A loaded model on one device. Disposing frees it (and its device memory).</summary>
public abstract class BenchModel : IDisposable
{
    public abstract int VocabSize { get; }
    /// <summary>Tokens the KV cache holds (what Load asked for, or less when the model's own context is shorter).</summary>
    public abstract int ContextLength { get; }
    /// <summary>"gguf" or "safetensors".</summary>
    public abstract string Format { get; }
    /// <summary>Weight type when the engine knows it (Q4_K_M, BF16...), else empty.</summary>
    public virtual string QuantType => "";
    public abstract string DeviceName { get; }
    /// <summary>Peak device memory in bytes since load, or null when the engine cannot tell.</summary>
    public virtual long? PeakGpuBytes => null;
    /// <summary>Bytes of weights one generated token reads, or null when the engine cannot tell.</summary>
    public virtual long? WeightBytesPerToken => null;
    /// <summary>A fresh context (empty KV cache) for one run.</summary>
    public abstract BenchSession CreateSession();

    /// <summary>
    /// Every prompt at once, each followed by <paramref name="genTokens"/> greedy tokens (EOS ignored). This default is
    /// for engines whose sessions each run their own forward passes: one session per prompt on its own thread, every
    /// call counted as one step. Engines that batch sequences override it and report their own step counters.
    /// </summary>
    public virtual ConcurrentRun GenerateConcurrently(IReadOnlyList<int[]> prompts, int genTokens)
    {
        var sessions = prompts.Select(_ => CreateSession()).ToArray();
        try
        {
            using var go = new ManualResetEventSlim();
            long start = 0;
            var streams = prompts.Select((prompt, i) => Task.Factory.StartNew(() =>
            {
                go.Wait();
                var tokens = new int[genTokens];
                tokens[0] = sessions[i].EvaluateGreedy(prompt);
                double first = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                for (int k = 1; k < genTokens; k++) tokens[k] = sessions[i].EvaluateGreedy([tokens[k - 1]]);
                return new StreamRun(tokens, first, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();   // a thread each
            start = Stopwatch.GetTimestamp();
            go.Set();
            Task.WaitAll(streams);
            long rows = prompts.Sum(p => (long)p.Length + genTokens - 1);
            return new ConcurrentRun([.. streams.Select(t => t.Result)], (long)prompts.Count * genTokens, rows);
        }
        finally
        {
            foreach (var s in sessions) s.Dispose();
        }
    }

    public abstract void Dispose();
}

/// <summary>One stream of a concurrent run: its tokens, and when its first and last token arrived (ms after the run began).</summary>
public sealed record StreamRun(int[] Tokens, double FirstTokenMs, double LastTokenMs);

/// <summary>
/// A concurrent run: every stream, and the forward steps the engine ran and the rows (tokens, prompt rows included) they
/// evaluated, or null when the engine cannot tell.
/// </summary>
public sealed record ConcurrentRun(IReadOnlyList<StreamRun> Streams, long? Steps, long? Rows)
{
    /// <summary>When the last token of any stream arrived: the wall time of the generation phase.</summary>
    public double WallMs => Streams.Max(s => s.LastTokenMs);
}

/// <summary>One sequence: tokens are appended to its KV cache.</summary>
public abstract class BenchSession : IDisposable
{
    /// <summary>Appends <paramref name="tokens"/> (a batch for the prompt, one token per decode step) and returns the argmax of the last token's logits; returns only once the result is on the host.</summary>
    public abstract int EvaluateGreedy(ReadOnlySpan<int> tokens);
    public abstract void Dispose();
}
