using Minerva.Native.Generation;
using Minerva.Native.Tokenization;

namespace Minerva.Native.Tests.Model;

/// <summary>The README's embedding example, as written there, on the tiny model; and the API's promises.</summary>
public class PublicApiTests
{
    [Test]
    public async Task ReadmeExampleRuns()
    {
        using var model = await LlamaModel.LoadAsync(TestModels.Gguf("q8_0"), new ModelOptions { MaxSequences = 8, Device = DeviceKind.Cpu });
        Assert.That(model.Config.Layers, Is.EqualTo(2));

        var options = new GenerationOptions { MaxTokens = 64, Temperature = 0.7f, StopStrings = ["\n\n"] };
        string[] prompts = ["Once upon a time", "The capital of France", "def fibonacci(n):"];
        var replies = await Task.WhenAll(prompts.Select(async prompt =>
        {
            using var session = model.CreateSession();
            var text = new System.Text.StringBuilder();
            await foreach (string piece in session.GenerateAsync(prompt, options))
                text.Append(piece);
            return text.ToString();
        }));
        Assert.That(replies, Has.All.Not.Empty);

        using var chat = model.CreateSession();
        await foreach (string piece in chat.GenerateAsync("Hello!", options)) Assert.That(piece, Is.Not.Null);
        await foreach (string piece in chat.GenerateAsync(" And then?", options)) Assert.That(piece, Is.Not.Null);

        int[] ids = model.Tokenizer.Encode("Hello world", addBos: true);
        chat.Reset();
        ReadOnlySpan<float> logits = chat.Evaluate(ids);
        int next = chat.EvaluateGreedy([Sampler.ArgMax(logits)]);
        Assert.That(next, Is.InRange(0, model.Config.VocabSize - 1));
        Assert.That(chat.Position, Is.EqualTo(ids.Length + 1));
    }

    [Test]
    public void TokenByTokenEvaluationAllocatesNothingOnTheCallersThread()
    {
        using var model = LlamaModel.Load(TestModels.Gguf("q8_0"), new ModelOptions { Device = DeviceKind.Cpu, Threads = 2 });
        using var session = model.CreateSession();
        int token = session.EvaluateGreedy(model.Tokenizer.Encode("Hello", addBos: true));
        for (int i = 0; i < 8; i++) token = session.EvaluateGreedy([token]);          // warm-up: the reused work, the lists' growth
        var logits = session.Evaluate([token]);
        token = Sampler.ArgMax(logits);
        int[] one = [token];
        const int steps = 64;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < steps; i++)
        {
            one[0] = i % 2 == 0 ? session.EvaluateGreedy(one) : Sampler.ArgMax(session.Evaluate(one));
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // one List<int> doubling of the session's token list may fall in the window; a per-step object would be >= 64 x 24 bytes
        Assert.That(allocated, Is.LessThan(steps * 24), $"{allocated} bytes over {steps} one-token evaluations");
        Assert.That(session.Position, Is.EqualTo(model.Tokenizer.Encode("Hello", addBos: true).Length + 8 + 1 + steps));
    }

    [Test]
    public void SameSeedSameTextAndCancellationStopsWithinOneToken()
    {
        using var model = LlamaModel.Load(TestModels.Gguf("q8_0"), new ModelOptions { Device = DeviceKind.Cpu, Threads = 2 });
        var prompt = model.Tokenizer.Encode("The world", addBos: true);
        var options = new GenerationOptions { MaxTokens = 24, Temperature = 0.9f, Seed = 7, IgnoreEos = true };
        int[] Run()
        {
            using var s = model.CreateSession();
            return s.GenerateTokens(prompt, options).ToArray();
        }
        int[] first = Run(), second = Run();
        Assert.That(second, Is.EqualTo(first));

        using var session = model.CreateSession();
        using var cancel = new CancellationTokenSource();
        int produced = 0;
        Assert.Throws<OperationCanceledException>(() =>
        {
            foreach (int _ in session.GenerateTokens(prompt, options with { MaxTokens = 1000 }, cancel.Token))
                if (++produced == 3) cancel.Cancel();
        });
        Assert.That(produced, Is.EqualTo(3), "no token after the cancellation");
    }

    [Test]
    public void StopStringsAreNotEmittedAndSplitPrefixesAreHeldBack()
    {
        var f = new StopStringFilter(["</s>", "User:"]);
        var (a, stopA) = f.Push("Hello </");
        var (b, stopB) = f.Push("s> ignored");
        Assert.That((a, stopA), Is.EqualTo(("Hello ", false)));
        Assert.That((b, stopB), Is.EqualTo(("", true)));
        var g = new StopStringFilter(["User:"]);
        Assert.That(g.Push("Use").Emit + g.Flush("ful"), Is.EqualTo("Useful"));
    }

    [Test]
    public void ChatTemplateOfTheModelIsApplied()
    {
        using var model = LlamaModel.Load(TestModels.Gguf("f32"), new ModelOptions { Device = DeviceKind.Cpu });
        string prompt = ChatTemplate.Apply(model.Tokenizer.ChatTemplate, [new ChatMessage("user", "Hi")], addAssistantPrompt: true);
        Assert.That(prompt, Does.Contain("<|user|>").And.Contain("Hi").And.Contain("<|assistant|>"));
    }
}
