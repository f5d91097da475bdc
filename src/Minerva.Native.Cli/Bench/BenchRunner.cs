// The timing loop: per run load → one-batch prefill (time to first token) → N-1 single-token greedy decode steps,
// each timed alone; generation speed is 1 / median step, set against the decode ceiling (probed read bandwidth / weight
// bytes per token) on the CPU. The concurrency scenario instead runs C streams at once on one
// model and times the whole: aggregate tokens/s over the wall time, per-stream medians. Shared with the llama.cpp peer
// tool so both are timed alike.
using System.Diagnostics;
using System.Globalization;

namespace Minerva.Native.Cli.Bench;

/// <summary>What to run: models × devices × scenarios, each <see cref="Runs"/> counted runs after <see cref="WarmupRuns"/> uncounted.</summary>
public sealed record BenchPlan(
    IReadOnlyList<BenchTarget> Targets,
    IReadOnlyList<string> Devices,
    IReadOnlyList<BenchScenario> Scenarios,
    int Runs,
    int WarmupRuns,
    int Threads,
    ulong PromptSeed = BenchPrompt.DefaultSeed)
{
    public int TotalRuns => Targets.Count * Devices.Count * Scenarios.Count * (Runs + WarmupRuns);
}

/// <summary>Counted runs, one line per matrix cell that could not run, and whether a cancel stopped the matrix early.</summary>
public sealed record BenchOutcome(IReadOnlyList<BenchRecord> Records, IReadOnlyList<string> Failures, bool Cancelled = false);

public sealed class BenchRunner(IBenchEngine engine, BenchMachine machine, TextWriter log)
{
    public BenchOutcome Run(BenchPlan plan, CancellationToken ct = default)
    {
        var records = new List<BenchRecord>();
        var failures = new List<string>();
        int done = 0, total = plan.TotalRuns, width = total.ToString(CultureInfo.InvariantCulture).Length;
        foreach (var target in plan.Targets)
        foreach (string device in plan.Devices)
        foreach (var scenario in plan.Scenarios)
        {
            int perCell = plan.WarmupRuns + plan.Runs;
            for (int i = 0; i < perCell; i++)
            {
                if (ct.IsCancellationRequested) return new BenchOutcome(records, failures, Cancelled: true);
                bool warm = i < plan.WarmupRuns;
                string runLabel = warm ? "warm-up" : $"run {i - plan.WarmupRuns + 1}/{plan.Runs}";
                log.Write($"[{(++done).ToString(CultureInfo.InvariantCulture).PadLeft(width)}/{total}] {scenario.Name,-11} {target.Label} {device} {runLabel,-9} ");
                log.Flush();
                BenchRecord r;
                try
                {
                    r = RunOnce(target, device, scenario, plan.Threads, plan.PromptSeed);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.WriteLine("FAILED");
                    failures.Add($"{scenario.Name} {target.Label} ({target.ModelFile}) on {device}: {e.Message}");
                    done += perCell - i - 1;
                    break;
                }
                log.WriteLine(scenario.Streams > 0
                    ? FormattableString.Invariant(
                        $"x{r.Concurrency}  load {r.LoadMs:F0} ms  ttft {r.TtftMs:F1} ms  aggregate {r.AggregateGenTokensPerSec:F2} t/s  per stream {r.GenTokensPerSec:F2} t/s  rows/step {r.RowsPerStep:F2}  rss {r.PeakHostMiB:F0} MiB")
                    : FormattableString.Invariant(
                        $"load {r.LoadMs:F0} ms  ttft {r.TtftMs:F1} ms  prompt {r.PromptTokensPerSec:F1} t/s  gen {r.GenTokensPerSec:F2} t/s  rss {r.PeakHostMiB:F0} MiB"));
                if (warm) continue;
                r.Run = i - plan.WarmupRuns + 1;
                records.Add(r);
            }
        }
        return new BenchOutcome(records, failures);
    }

    /// <summary>One run from a cold model handle (the OS page cache stays warm after the warm-up run).</summary>
    public BenchRecord RunOnce(BenchTarget target, string device, BenchScenario scenario, int threads, ulong seed)
    {
        if (scenario.Streams > 0) return RunConcurrent(target, device, scenario, threads, seed);
        var record = new BenchRecord { Timestamp = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture) };
        using var memory = PeakMemory.Begin();
        long t0 = Stopwatch.GetTimestamp();
        using var model = engine.Load(target.Path, device, threads, ContextFor(scenario));
        double loadMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        if (scenario.TotalTokens > model.ContextLength)
            throw new InvalidOperationException($"{scenario.Name} needs {scenario.TotalTokens} tokens of context, the model has {model.ContextLength}");
        int[] prompt = BenchPrompt.Tokens(model.VocabSize, scenario.PromptTokens, seed);
        var steps = new double[Math.Max(0, scenario.GenTokens - 1)]; // [gen - 1] ms per decode step

        using (var session = model.CreateSession())
        {
            long p0 = Stopwatch.GetTimestamp();
            int next = session.EvaluateGreedy(prompt);
            record.TtftMs = Stopwatch.GetElapsedTime(p0).TotalMilliseconds;
            Span<int> one = stackalloc int[1];
            for (int k = 0; k < steps.Length; k++)
            {
                one[0] = next;
                long s0 = Stopwatch.GetTimestamp();
                next = session.EvaluateGreedy(one);
                steps[k] = Stopwatch.GetElapsedTime(s0).TotalMilliseconds;
            }
        }

        double median = Median(steps);
        Describe(record, target, model, device, scenario, threads, loadMs);
        record.PromptTokensPerSec = record.TtftMs > 0 ? scenario.PromptTokens * 1000.0 / record.TtftMs : 0;
        record.MedianInterTokenMs = median;
        record.GenTokensPerSec = median > 0 ? 1000.0 / median : 0;
        record.PeakHostMiB = memory.PeakBytes() / (1024.0 * 1024.0);
        record.PeakGpuMiB = model.PeakGpuBytes is { } gpu ? gpu / (1024.0 * 1024.0) : null;
        Ceiling(record, model);
        return record;
    }

    /// <summary>The columns that say what ran where: machine, scenario, model, device, threads, load time.</summary>
    private void Describe(BenchRecord record, BenchTarget target, BenchModel model, string device, BenchScenario scenario, int threads, double loadMs)
    {
        machine.Stamp(record);
        record.Scenario = scenario.Name;
        record.Format = model.Format;
        record.QuantType = model.QuantType.Length > 0 ? model.QuantType : target.QuantType;
        record.ModelFile = target.ModelFile;
        record.Device = device;
        record.DeviceName = model.DeviceName;
        record.Threads = threads;
        record.PromptTokens = scenario.PromptTokens;
        record.GenTokens = scenario.GenTokens;
        record.LoadMs = loadMs;
    }

    /// <summary>
    /// One run of the concurrency scenario: <see cref="BenchScenario.Streams"/> sessions on one loaded model, each with its
    /// own prompt (stream i uses seed + i, so stream 0 feeds the single-session prompt), all generating at once.
    /// </summary>
    public BenchRecord RunConcurrent(BenchTarget target, string device, BenchScenario scenario, int threads, ulong seed)
    {
        int streams = scenario.Streams;
        var record = new BenchRecord { Timestamp = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture) };
        using var memory = PeakMemory.Begin();
        long t0 = Stopwatch.GetTimestamp();
        using var model = engine.Load(target.Path, device, threads, ContextFor(scenario), streams);
        double loadMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        if (scenario.TotalTokens > model.ContextLength)
            throw new InvalidOperationException($"{scenario.Name} needs {scenario.TotalTokens} tokens of context, the model has {model.ContextLength}");
        var prompts = Enumerable.Range(0, streams).Select(i => BenchPrompt.Tokens(model.VocabSize, scenario.PromptTokens, seed + (ulong)i)).ToList();

        var run = model.GenerateConcurrently(prompts, scenario.GenTokens);
        if (run.Streams.Count != streams || run.Streams.Any(s => s.Tokens.Length != scenario.GenTokens))
            throw new InvalidOperationException($"{streams} streams of {scenario.GenTokens} tokens expected, the engine produced [{string.Join(", ", run.Streams.Select(s => s.Tokens.Length))}]");

        // Per stream: decode speed after its first token, (tokens - 1) / (last - first).
        double[] interToken = [.. run.Streams.Select(s => (s.LastTokenMs - s.FirstTokenMs) / (scenario.GenTokens - 1))];
        double wall = run.WallMs, allFirst = run.Streams.Max(s => s.FirstTokenMs);
        Describe(record, target, model, device, scenario, threads, loadMs);
        record.Concurrency = streams;
        record.TtftMs = Median(run.Streams.Select(s => s.FirstTokenMs));
        record.PromptTokensPerSec = allFirst > 0 ? (double)streams * scenario.PromptTokens * 1000.0 / allFirst : 0;
        record.MedianInterTokenMs = Median(interToken);
        record.GenTokensPerSec = record.MedianInterTokenMs > 0 ? 1000.0 / record.MedianInterTokenMs : 0;
        record.AggregateGenTokensPerSec = wall > 0 ? (double)streams * scenario.GenTokens * 1000.0 / wall : 0;
        record.RowsPerStep = run.Steps is > 0 && run.Rows is { } rows ? (double)rows / run.Steps.Value : null;
        record.PeakHostMiB = memory.PeakBytes() / (1024.0 * 1024.0);
        record.PeakGpuMiB = model.PeakGpuBytes is { } gpu ? gpu / (1024.0 * 1024.0) : null;
        Ceiling(record, model);
        return record;
    }

    /// <summary>
    /// The weight bytes per token, and on a CPU cell with a probed bandwidth the decode ceiling and how near generation came
    /// (in the concurrency scenario per stream: one step reads the weights once for every stream).
    /// </summary>
    private void Ceiling(BenchRecord record, BenchModel model)
    {
        record.WeightBytesPerToken = model.WeightBytesPerToken;
        if (record.Device != "cpu" || machine.ReadBandwidthGBps is not { } gbps || model.WeightBytesPerToken is not > 0) return;
        record.ReadBandwidthGBps = gbps;
        record.GenCeilingTokensPerSec = gbps * 1e9 / model.WeightBytesPerToken.Value;
        record.GenPercentOfCeiling = 100 * record.GenTokensPerSec / record.GenCeilingTokensPerSec;
    }

    /// <summary>KV cache size requested for a scenario (per stream): its tokens rounded up to a multiple of 256 (the same for both engines).</summary>
    public static int ContextFor(BenchScenario scenario) => (scenario.TotalTokens + 255) / 256 * 256;

    /// <summary>Median of a sample (mean of the middle two for an even count); 0 for none.</summary>
    public static double Median(IEnumerable<double> values)
    {
        double[] v = [.. values];
        if (v.Length == 0) return 0;
        Array.Sort(v);
        int h = v.Length / 2;
        return v.Length % 2 == 1 ? v[h] : (v[h - 1] + v[h]) / 2;
    }
}
