// What `minerva-native bench` was asked to do: the flags of BenchFlags, validated and resolved (scenarios expanded).
using Minerva.Native.Cli.Parsing;

namespace Minerva.Native.Cli.Bench;

public sealed record BenchOptions
{
    public List<string> Models { get; init; } = [];
    public bool AllTypes { get; init; }
    public bool Quick { get; init; }
    public string ModelsDir { get; init; } = "models";
    public List<string> Devices { get; init; } = [];
    public List<BenchScenario> Scenarios { get; init; } = [];
    public int Runs { get; init; } = 3;
    public int Warmup { get; init; } = 1;
    public int Threads { get; init; } = Environment.ProcessorCount;
    public string? CsvPath { get; init; }
    public bool Json { get; init; } = true;
    public bool Chart { get; init; } = true;
    public string? ComparePath { get; init; }
    public string? ResultsPath { get; init; }

    /// <summary>The bench command line → options; a bad one is a <see cref="UsageException"/> (one line).</summary>
    public static BenchOptions Parse(params string[] argv)
    {
        var flags = new BenchFlags();
        var parsed = flags.Command.Parse(argv, CommandLine.Parser);
        return UsageLine.Of(parsed) is { } error ? throw new UsageException(error) : flags.Bind(parsed);
    }
}
