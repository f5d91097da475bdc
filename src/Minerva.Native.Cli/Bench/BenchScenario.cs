// Named prompt/generation sizes of the benchmark matrix (prompt tokens evaluated as one batch, then greedy decode, EOS ignored).
using System.Globalization;

namespace Minerva.Native.Cli.Bench;

/// <summary>
/// A named workload: <paramref name="PromptTokens"/> prompt tokens in one batch, then <paramref name="GenTokens"/> generated
/// tokens. <paramref name="Streams"/> above 0 makes it the concurrency scenario: that many sessions on one loaded model
/// each generate at the same time (sizes are per stream).
/// </summary>
public sealed record BenchScenario(string Name, int PromptTokens, int GenTokens, int Streams = 0)
{
    public static readonly BenchScenario ShortChat = new("short-chat", 32, 128);
    public static readonly BenchScenario LongPrompt = new("long-prompt", 512, 32);
    public static readonly BenchScenario LongGeneration = new("long-gen", 16, 512);
    public static readonly BenchScenario Latency = new("latency", 1, 64);
    /// <summary>The `--quick` workload on the tiny model.</summary>
    public static readonly BenchScenario Quick = new("quick", 16, 16);
    /// <summary>`--concurrency`: per stream a 32-token prompt and 64 generated tokens; <see cref="Streams"/> set per run.</summary>
    public static readonly BenchScenario Concurrent = new("concurrent", 32, 64);

    /// <summary>Stream counts of `--scenario concurrent` when no `--concurrency` list is given.</summary>
    public static IReadOnlyList<int> DefaultStreams { get; } = [1, 4, 8, 16];

    public static IReadOnlyList<BenchScenario> Presets { get; } = [ShortChat, LongPrompt, LongGeneration, Latency];

    public static BenchScenario? Find(string name) =>
        name == Quick.Name ? Quick
        : name.Equals(Concurrent.Name, StringComparison.OrdinalIgnoreCase) ? Concurrent
        : Presets.FirstOrDefault(s => s.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Whether a result row comes from the concurrency scenario.</summary>
    public static bool IsConcurrent(BenchRecord r) => r.Scenario == Concurrent.Name;

    /// <summary>"1,4,8,16" → [1, 4, 8, 16] (distinct, in order); an <see cref="ArgumentException"/> for anything else.</summary>
    public static List<int> ParseStreams(string list)
    {
        var streams = new List<int>();
        foreach (string part in list.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) || n < 1)
                throw new ArgumentException($"--concurrency expects stream counts of at least 1 separated by commas (1,4,8), got '{list}'");
            if (!streams.Contains(n)) streams.Add(n);
        }
        return streams;
    }

    /// <summary>
    /// The scenario list to run: the concurrency scenario (added when <paramref name="streams"/> is given and the list
    /// lacks it) becomes one scenario per stream count, after the others.
    /// </summary>
    public static List<BenchScenario> ExpandStreams(IReadOnlyList<BenchScenario> scenarios, IReadOnlyList<int>? streams)
    {
        var plain = scenarios.Where(s => s.Name != Concurrent.Name).ToList();
        var concurrent = scenarios.FirstOrDefault(s => s.Name == Concurrent.Name) ?? (streams is null ? null : Concurrent);
        if (concurrent is null) return plain;
        return [.. plain, .. (streams ?? DefaultStreams).Select(n => concurrent with { Streams = n })];
    }

    /// <summary>Tokens held in the KV cache at the end of a run (per stream).</summary>
    public int TotalTokens => PromptTokens + GenTokens;

    public override string ToString() => Streams > 0 ? $"{Name} x{Streams} ({PromptTokens}/{GenTokens})" : $"{Name} ({PromptTokens}/{GenTokens})";
}
