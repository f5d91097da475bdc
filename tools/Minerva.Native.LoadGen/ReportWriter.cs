// The results as a console table, a CSV of level summaries (appended to, the header written once) and a JSON document
// of the whole invocation (options, machine, levels with every request).
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Minerva.Native.LoadGen;

internal static class ReportWriter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public const string CsvHeader =
        "engine,run,concurrency,requests,ok,errors,prompt_tokens,max_tokens,gen_tokens,tokens_per_request,wall_s,agg_tok_s," +
        "ttft_p50_ms,ttft_p95_ms,latency_p50_ms,latency_p95_ms,stream_tok_s_p50";

    public static string Table(IEnumerable<LevelSummary> levels)
    {
        var sb = new StringBuilder();
        sb.AppendLine(string.Format(Inv, "{0,-16} {1,3} {2,4} {3,4} {4,4} {5,6} {6,7} {7,7} {8,9} {9,9} {10,9} {11,9} {12,9} {13,10}",
            "engine", "run", "C", "req", "err", "prompt", "gen/req", "wall s", "agg t/s", "ttft p50", "ttft p95", "lat p50", "lat p95", "stream t/s"));
        foreach (var l in levels)
            sb.AppendLine(string.Format(Inv, "{0,-16} {1,3} {2,4} {3,4} {4,4} {5,6:0.#} {6,7:0.#} {7,7:0.00} {8,9:0.00} {9,9:0} {10,9:0} {11,9:0} {12,9:0} {13,10:0.00}",
                l.Engine, l.Run, l.Concurrency, l.Requests, l.Errors, l.PromptTokens, l.TokensPerRequest, l.WallSeconds, l.AggregateTokensPerSecond,
                l.TtftP50Ms, l.TtftP95Ms, l.LatencyP50Ms, l.LatencyP95Ms, l.StreamTokensPerSecondP50));
        sb.Append("(times in ms; agg t/s = generated tokens of all requests / level wall time; stream t/s = p50 of (tokens - 1) / (latency - ttft))");
        return sb.ToString();
    }

    public static string CsvRow(LevelSummary l) => string.Join(',',
        Quote(l.Engine), I(l.Run), I(l.Concurrency), I(l.Requests), I(l.Ok), I(l.Errors), F(l.PromptTokens), I(l.MaxTokens), I(l.GeneratedTokens),
        F(l.TokensPerRequest), F(l.WallSeconds), F(l.AggregateTokensPerSecond), F(l.TtftP50Ms), F(l.TtftP95Ms), F(l.LatencyP50Ms), F(l.LatencyP95Ms),
        F(l.StreamTokensPerSecondP50));

    /// <summary>Appends the rows to <paramref name="path"/>, writing the header first when the file is new or empty.</summary>
    public static void AppendCsv(string path, IEnumerable<LevelSummary> levels)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir) Directory.CreateDirectory(dir);
        bool header = !File.Exists(path) || new FileInfo(path).Length == 0;
        using var w = new StreamWriter(path, append: true, new UTF8Encoding(false));
        if (header) w.WriteLine(CsvHeader);
        foreach (var l in levels) w.WriteLine(CsvRow(l));
    }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void WriteJson(string path, object document)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir) Directory.CreateDirectory(dir);
        File.WriteAllText(path, JsonSerializer.Serialize(document, Json));
    }

    private static string I(long v) => v.ToString(Inv);
    private static string F(double v) => double.IsNaN(v) ? "" : Math.Round(v, 3).ToString(Inv);
    private static string Quote(string s) => s.AsSpan().IndexOfAny(",\"\n") < 0 ? s : "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
