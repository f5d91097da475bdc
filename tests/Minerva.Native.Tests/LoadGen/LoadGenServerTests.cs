// The load generator against the real server (Kestrel, tiny model, loopback): 4 streaming requests by 2 clients all
// succeed, each with the prompt and completion token counts the engine's own chat client reports for the same request.
using Microsoft.Extensions.AI;
using Minerva.Native.LoadGen;
using Minerva.Native.Tests.Server;

namespace Minerva.Native.Tests.LoadGen;

[NonParallelizable]
public class LoadGenServerTests
{
    [Test]
    [CancelAfter(300_000)]
    public async Task TwoClientsFourRequestsAllSucceedWithTheEnginesTokenCounts(CancellationToken cancellation)
    {
        await using var f = await ServerFixture.StartAsync(parallel: 4);
        var o = LoadGenOptions.Parse(["--url", f.BaseAddress.ToString(), "--concurrency", "2", "--requests", "4", "--prompt-tokens", "24",
            "--max-tokens", "6", "--warmup", "0"]);
        var report = await HttpLoad.RunAsync(o, TextWriter.Null, cancellation);

        var level = report.Levels.Single();
        Assert.That(level.Requests.Select(r => r.Error), Has.All.Null);
        Assert.That((level.Summary.Concurrency, level.Summary.Requests, level.Summary.Ok), Is.EqualTo((2, 4, 4)));
        Assert.That(report.ModelId, Is.EqualTo("tiny"), "the model id comes from GET /v1/models");

        // What the engine answers for the same message alone, without HTTP.
        var direct = await f.Server.Model!.AsChatClient("tiny").GetResponseAsync([new(ChatRole.User, report.PromptText)],
            new ChatOptions { Temperature = 0, MaxOutputTokens = 6 }, cancellation);
        int prompt = (int)direct.Usage!.InputTokenCount!, completion = (int)direct.Usage.OutputTokenCount!;
        Assert.That(prompt, Is.InRange(22, 26), "the prompt was sized to about 24 tokens, template included");
        foreach (var r in level.Requests)
        {
            Assert.That(r.UsageReported, Is.True);
            Assert.That((r.PromptTokens, r.CompletionTokens), Is.EqualTo((prompt, completion)));
            Assert.That(r.ContentChunks, Is.InRange(1, completion));
            Assert.That(r.TtftMs, Is.GreaterThan(0).And.LessThanOrEqualTo(r.LatencyMs));
        }
        Assert.That(level.Summary.GeneratedTokens, Is.EqualTo(4L * completion));
        Assert.That(level.Requests.Select(r => r.Index), Is.EquivalentTo(new[] { 0, 1, 2, 3 }));
    }
}
