// Bridges the bench to the public engine API: LlamaModel.Load → CreateSession → EvaluateGreedy; concurrent streams are
// sessions that GenerateTokensAsync from their own tasks, batched by the model's scheduler.
using System.Diagnostics;
using Minerva.Native.Generation;
using Minerva.Native.Model;

namespace Minerva.Native.Cli.Bench;

/// <summary>The real engine behind <see cref="IBenchEngine"/>.</summary>
public sealed class MinervaEngineAdapter : IBenchEngine
{
    public string Name => "minerva-native";

    public string Version => typeof(LlamaModel).Assembly.GetName().Version?.ToString(3) ?? "";

    /// <summary>The vector width the CPU kernels run at (the one tier switch, MINERVA_SIMD).</summary>
    public int SimdWidthBits => DeviceInfo.CpuSimdWidthBits;

    public (string Name, string Driver)? Gpu => DeviceInfo.Gpu;

    public IReadOnlyList<string> AvailableDevices() => DeviceInfo.Gpu is null ? ["cpu"] : ["cpu", "cuda"];

    public void WriteSyntheticModel(string preset, string format, string type, string path, IProgress<double>? progress) =>
        SyntheticModels.Ensure(preset, format, type, path, progress);

    public BenchModel Load(string path, string device, int threads, int contextLength, int sequences = 1)
    {
        var options = new ModelOptions
        {
            Device = device == "cuda" ? DeviceKind.Cuda : DeviceKind.Cpu,
            Threads = threads,
            ContextLength = contextLength,
            MaxSequences = sequences,
        };
        return new Model(LlamaModel.Load(path, options), contextLength);
    }

    private sealed class Model(LlamaModel model, int contextLength) : BenchModel
    {
        public override int VocabSize => model.Config.VocabSize;
        public override int ContextLength => Math.Min(contextLength, model.Config.ContextLength);
        public override string Format => model.Format;
        public override string DeviceName => model.DeviceName;
        public override long? PeakGpuBytes => model.DeviceMemoryInUse;
        public override long? WeightBytesPerToken => model.WeightBytesPerToken;
        public override BenchSession CreateSession() => new Session(model.CreateSession());

        /// <summary>One session per prompt, each streamed by its own task; the step counters are the scheduler's.</summary>
        public override ConcurrentRun GenerateConcurrently(IReadOnlyList<int[]> prompts, int genTokens)
        {
            var sessions = prompts.Select(_ => model.CreateSession()).ToArray();
            try
            {
                var options = GenerationOptions.Greedy with { MaxTokens = genTokens, IgnoreEos = true };
                var (steps0, rows0) = model.StepCounts;
                long start = Stopwatch.GetTimestamp();
                var streams = sessions.Select((session, i) => Task.Run(async () =>
                {
                    var tokens = new List<int>(genTokens);
                    double first = 0, last = 0;
                    await foreach (int token in session.GenerateTokensAsync(prompts[i], options).ConfigureAwait(false))
                    {
                        last = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                        if (tokens.Count == 0) first = last;
                        tokens.Add(token);
                    }
                    return new StreamRun([.. tokens], first, last);
                })).ToArray();
                Task.WaitAll(streams);
                var (steps1, rows1) = model.StepCounts;
                return new ConcurrentRun([.. streams.Select(t => t.Result)], steps1 - steps0, rows1 - rows0);
            }
            finally
            {
                foreach (var s in sessions) s.Dispose();
            }
        }

        public override void Dispose() => model.Dispose();
    }

    private sealed class Session(InferenceSession session) : BenchSession
    {
        public override int EvaluateGreedy(ReadOnlySpan<int> tokens) => session.EvaluateGreedy(tokens);
        public override void Dispose() => session.Dispose();
    }
}
