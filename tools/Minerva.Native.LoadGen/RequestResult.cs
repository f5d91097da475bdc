// One request of a level as the client saw it: when it started, time to its first content and to its end, token counts.
namespace Minerva.Native.LoadGen;

/// <summary>
/// Times are milliseconds: <see cref="StartMs"/> from the level's start, the others from the request's own start.
/// <see cref="CompletionTokens"/> is the server's usage count when it sent one, else the content chunks counted.
/// </summary>
internal sealed record RequestResult(
    int Index, double StartMs, double TtftMs, double LatencyMs, int PromptTokens, int CompletionTokens, int ContentChunks,
    bool UsageReported, string? FinishReason, string? Error)
{
    public bool Ok => Error is null;

    /// <summary>Tokens per second of this stream after its first token: (tokens - 1) / (latency - ttft); NaN below 2 tokens.</summary>
    public double StreamTokensPerSecond => Ok && CompletionTokens > 1 && LatencyMs > TtftMs
        ? (CompletionTokens - 1) * 1000.0 / (LatencyMs - TtftMs) : double.NaN;

    public static RequestResult Failed(int index, double startMs, double latencyMs, string error) =>
        new(index, startMs, double.NaN, latencyMs, 0, 0, 0, false, null, error);
}
