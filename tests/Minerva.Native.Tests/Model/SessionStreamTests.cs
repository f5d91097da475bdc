// A generation stream left early while the scheduler has already written tokens the caller never read (what a stop
// string or a cancel does under load): leaving must not wait for a channel that still holds them, and the session goes on.
using Minerva.Native.Generation;

namespace Minerva.Native.Tests.Model;

[NonParallelizable]
public sealed class SessionStreamTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    [Test]
    public async Task LeavingAStreamWithUnreadTokensEndsAndTheSessionContinues()
    {
        using var model = LlamaModel.Load(TestModels.Gguf("q8_0"), new ModelOptions { Device = DeviceKind.Cpu, Threads = 2, ContextLength = 256 });
        using var session = model.CreateSession();
        var prompt = model.Tokenizer.Encode("Once upon a time", addBos: true);
        var options = GenerationOptions.Greedy with { MaxTokens = 200, IgnoreEos = true };

        var stream = session.GenerateTokensAsync(prompt, options).GetAsyncEnumerator();
        Assert.That(await stream.MoveNextAsync(), "a first token");
        long steps = model.StepCounts.Steps;
        using (var guard = new CancellationTokenSource(HangGuard))
            while (model.StepCounts.Steps < steps + 3) await Task.Delay(1, guard.Token);   // tokens wait unread in the channel

        Assert.That(stream.DisposeAsync().AsTask().Wait(HangGuard), "leaving the stream returns");
        Assert.That(session.Position, Is.GreaterThanOrEqualTo(prompt.Length));
        int[] more = [.. session.GenerateTokens(model.Tokenizer.Encode(" and", addBos: false), options with { MaxTokens = 3 })];
        Assert.That(more, Has.Length.EqualTo(3), "the session continues");
    }
}
