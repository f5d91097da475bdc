// The peer mode: the same prompt sizing, warm-up and levels, on llama.cpp's BatchedExecutor in this process.
namespace Minerva.Native.LoadGen;

internal static class PeerLoad
{
    public static async Task<LoadReport> RunAsync(LoadGenOptions o, TextWriter log)
    {
        var started = DateTimeOffset.Now;
        string path = o.PeerModel ?? throw new ArgumentException("--peer-llamacpp MODEL is required");
        int sequences = o.Parallel ?? o.Levels.Max();
        if (o.Levels.Max() > sequences) throw new ArgumentException($"a level of {o.Levels.Max()} needs --parallel {o.Levels.Max()} or more");
        using var peer = LlamaCppPeer.Load(path, o.Threads, sequences, o.CtxSize, o.BatchSize);
        string text = o.Prompt ?? (await PromptBuilder.ForTokensAsync(
            Math.Max(1, o.PromptTokens - (peer.ChatPrompt("Hi").Length - peer.CountTokens("Hi"))), t => Task.FromResult(peer.CountTokens(t))).ConfigureAwait(false)).Text;
        var prompt = peer.ChatPrompt(text);
        string engine = o.Label ?? "llama.cpp";
        if (prompt.Length + o.MaxTokens > o.CtxSize) throw new ArgumentException($"{prompt.Length} prompt + {o.MaxTokens} generated tokens exceed --ctx-size {o.CtxSize}");
        if (o.Warmup > 0) peer.RunLevel(prompt, 1, o.Warmup, o.MaxTokens);
        log.WriteLine($"{engine}: {path} ({sequences} sequences x {o.CtxSize}, {o.Threads} threads), prompt {prompt.Length} tokens, {o.MaxTokens} generated");

        var levels = new List<LevelReport>();
        for (int l = 0; l < o.Levels.Count; l++)
        {
            int c = o.Levels[l], n = o.RequestsAt(l);
            var run = peer.RunLevel(prompt, c, n, o.MaxTokens);
            var summary = LevelSummary.From(engine, o.Run, c, o.MaxTokens, run.Results, run.WallSeconds);
            log.WriteLine($"  C={c}: {summary.Ok}/{n} ok, {summary.AggregateTokensPerSecond:0.00} t/s");
            levels.Add(new LevelReport(summary, run.Results));
        }
        return new LoadReport("minerva-loadgen", "llama.cpp BatchedExecutor (LLamaSharp, in-process)", Path.GetFullPath(path), Path.GetFileName(path),
            text, prompt.Length, o.MaxTokens, MachineInfo.Detect(), started, levels);
    }
}
