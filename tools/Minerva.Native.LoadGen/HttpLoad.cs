// The server mode: size the prompt with the server's own tokenizer, warm up, then each level through the closed loop
// of streaming chat clients.
namespace Minerva.Native.LoadGen;

internal static class HttpLoad
{
    public static async Task<LoadReport> RunAsync(LoadGenOptions o, TextWriter log, CancellationToken cancellation = default)
    {
        var started = DateTimeOffset.Now;
        using var http = ChatStreamClient.CreateHttp();
        var client = new ChatStreamClient(http, o.Url, o.ApiKey, TimeSpan.FromSeconds(o.TimeoutSeconds));
        string? model = o.Model ?? await client.FirstModelIdAsync(cancellation).ConfigureAwait(false);
        string text = o.Prompt ?? await SizePromptAsync(client, model, o.PromptTokens, log, cancellation).ConfigureAwait(false);
        byte[] body = ChatStreamClient.ChatBody(model, text, o.MaxTokens);
        string engine = o.Label ?? "server";

        int promptTokens = 0;
        for (int i = 0; i < o.Warmup; i++)
        {
            var w = await client.SendAsync(body, i, System.Diagnostics.Stopwatch.GetTimestamp(), cancellation).ConfigureAwait(false);
            if (!w.Ok) throw new InvalidOperationException($"the warm-up request failed: {w.Error}");
            promptTokens = w.PromptTokens;
        }
        log.WriteLine($"{engine}: {o.Url} model {model ?? "(none)"}, prompt {(promptTokens > 0 ? $"{promptTokens} tokens" : $"'{ChatChunk.Short(text)}'")}, {o.MaxTokens} generated");

        var levels = new List<LevelReport>();
        for (int l = 0; l < o.Levels.Count; l++)
        {
            int c = o.Levels[l], n = o.RequestsAt(l);
            var run = await ClosedLoop.RunAsync(c, n, (i, start, ct) => client.SendAsync(body, i, start, ct), cancellation).ConfigureAwait(false);
            var summary = LevelSummary.From(engine, o.Run, c, o.MaxTokens, run.Results, run.WallSeconds);
            log.WriteLine($"  C={c}: {summary.Ok}/{n} ok, {summary.AggregateTokensPerSecond:0.00} t/s{(summary.FirstError is { } e ? $", first error: {e}" : "")}");
            levels.Add(new LevelReport(summary, run.Results));
        }
        return new LoadReport("minerva-loadgen", "http", o.Url.ToString(), model, text, promptTokens, o.MaxTokens, MachineInfo.Detect(), started, levels);
    }

    /// <summary>
    /// User text that makes a chat prompt of about <paramref name="promptTokens"/> tokens: the template's share is the
    /// usage of a one-token request on "Hi" less the tokens of "Hi"; the rest is sized by /tokenize.
    /// </summary>
    private static async Task<string> SizePromptAsync(ChatStreamClient client, string? model, int promptTokens, TextWriter log, CancellationToken cancellation)
    {
        const string Probe = "Hi";
        var probe = await client.SendAsync(ChatStreamClient.ChatBody(model, Probe, 1), 0, System.Diagnostics.Stopwatch.GetTimestamp(), cancellation).ConfigureAwait(false);
        if (!probe.Ok) throw new InvalidOperationException($"the probe request failed: {probe.Error}");
        int overhead = 0;
        if (probe.UsageReported) overhead = probe.PromptTokens - await client.CountTokensAsync(Probe, cancellation).ConfigureAwait(false);
        else log.WriteLine("warning: the server sent no usage; the chat template's tokens are not counted in --prompt-tokens");
        var (text, _) = await PromptBuilder.ForTokensAsync(Math.Max(1, promptTokens - overhead),
            t => client.CountTokensAsync(t, cancellation)).ConfigureAwait(false);
        return text;
    }
}
