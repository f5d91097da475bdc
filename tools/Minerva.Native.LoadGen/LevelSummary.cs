// A level's numbers: aggregate generated tokens/s = tokens of the successful requests / wall time of the level (first
// request sent to last one finished); TTFT, latency and per-stream rate as p50/p95 over successful requests.
namespace Minerva.Native.LoadGen;

internal sealed record LevelSummary(
    string Engine, int Run, int Concurrency, int Requests, int Ok, int Errors, double PromptTokens, int MaxTokens,
    long GeneratedTokens, double TokensPerRequest, double WallSeconds, double AggregateTokensPerSecond,
    double TtftP50Ms, double TtftP95Ms, double LatencyP50Ms, double LatencyP95Ms, double StreamTokensPerSecondP50, string? FirstError)
{
    public static LevelSummary From(string engine, int run, int concurrency, int maxTokens, IReadOnlyList<RequestResult> results, double wallSeconds)
    {
        var ok = results.Where(r => r.Ok).ToList();
        long generated = ok.Sum(r => (long)r.CompletionTokens);
        return new LevelSummary(
            engine, run, concurrency, results.Count, ok.Count, results.Count - ok.Count,
            ok.Count > 0 ? ok.Average(r => r.PromptTokens) : double.NaN, maxTokens,
            generated, ok.Count > 0 ? (double)generated / ok.Count : double.NaN,
            wallSeconds, wallSeconds > 0 ? generated / wallSeconds : double.NaN,
            Percentiles.Of(ok.Select(r => r.TtftMs), 50), Percentiles.Of(ok.Select(r => r.TtftMs), 95),
            Percentiles.Of(ok.Select(r => r.LatencyMs), 50), Percentiles.Of(ok.Select(r => r.LatencyMs), 95),
            Percentiles.Of(ok.Select(r => r.StreamTokensPerSecond), 50),
            results.FirstOrDefault(r => !r.Ok)?.Error);
    }
}
