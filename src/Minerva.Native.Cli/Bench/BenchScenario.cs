// Named prompt/generation sizes of the benchmark matrix (prompt tokens evaluated as one batch, then greedy decode, EOS ignored).
namespace Minerva.Native.Cli.Bench;

/// <summary>A named workload: <paramref name="PromptTokens"/> prompt tokens in one batch, then <paramref name="GenTokens"/> generated tokens.</summary>
public sealed record BenchScenario(string Name, int PromptTokens, int GenTokens)
{
    public static readonly BenchScenario ShortChat = new("short-chat", 32, 128);
    public static readonly BenchScenario LongPrompt = new("long-prompt", 512, 32);
    public static readonly BenchScenario LongGeneration = new("long-gen", 16, 512);
    public static readonly BenchScenario Latency = new("latency", 1, 64);
    /// <summary>The `--quick` workload on the tiny model.</summary>
    public static readonly BenchScenario Quick = new("quick", 16, 16);

    public static IReadOnlyList<BenchScenario> Presets { get; } = [ShortChat, LongPrompt, LongGeneration, Latency];

    public static BenchScenario? Find(string name) =>
        name == Quick.Name ? Quick : Presets.FirstOrDefault(s => s.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Tokens held in the KV cache at the end of a run.</summary>
    public int TotalTokens => PromptTokens + GenTokens;

    public override string ToString() => $"{Name} ({PromptTokens}/{GenTokens})";
}
