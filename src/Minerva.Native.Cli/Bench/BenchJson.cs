// The JSON result file: { machine, plan, records[], failures[] } with System.Text.Json (source-generated, camelCase).
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Minerva.Native.Cli.Bench;

/// <summary>Everything one bench invocation measured; the records are the CSV rows.</summary>
public sealed record BenchReport(BenchMachine Machine, int Runs, int WarmupRuns, int Threads, IReadOnlyList<BenchRecord> Records, IReadOnlyList<string> Failures);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(BenchReport))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;

public static class BenchJson
{
    public static void Write(string path, BenchReport report)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir) Directory.CreateDirectory(dir);
        File.WriteAllText(path, JsonSerializer.Serialize(report, BenchJsonContext.Default.BenchReport));
    }

    public static BenchReport Read(string path) =>
        JsonSerializer.Deserialize(File.ReadAllText(path), BenchJsonContext.Default.BenchReport)
        ?? throw new InvalidDataException($"{path}: empty bench JSON");
}
