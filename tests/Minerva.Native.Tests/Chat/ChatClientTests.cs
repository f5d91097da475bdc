// LlamaChatClient through the real Microsoft.Extensions.AI types on the tiny model: the same text streamed or not, usage
// counted independently, stop sequences and token limits as finish reasons, cancellation, concurrent calls, the options
// it refuses, and its services.
using Microsoft.Extensions.AI;
using Minerva.Native.Generation;
using Minerva.Native.Tests.Model;
using Minerva.Native.Tokenization;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;
using TemplateMessage = Minerva.Native.Tokenization.ChatMessage;

namespace Minerva.Native.Tests.Chat;

[NonParallelizable]
public sealed class ChatClientTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(120);
    private LlamaModel _model = null!;

    [OneTimeSetUp]
    public void Load() => _model = ChatTestModels.Tiny(maxSequences: 2);

    [OneTimeTearDown]
    public void Unload() => _model.Dispose();

    private static ChatMessage[] Ask(string question) => [new(ChatRole.System, "Answer briefly."), new(ChatRole.User, question)];

    private static ChatOptions Greedy(int maxTokens) => new() { MaxOutputTokens = maxTokens, Temperature = 0 };

    // The same request on a plain session: the prompt's ids, the generated ids and their text.
    private (int[] Prompt, int[] Generated, string Text) Reference(ChatMessage[] conversation, int maxTokens)
    {
        var tokenizer = _model.Tokenizer;
        string prompt = ChatTemplate.Apply(tokenizer.ChatTemplate, [.. conversation.Select(m => new TemplateMessage(m.Role.Value, m.Text))], addAssistantPrompt: true);
        int[] ids = tokenizer.Encode(prompt, tokenizer.AddBos, parseSpecial: true);
        using var session = _model.CreateSession();
        int[] generated = [.. session.GenerateTokens(ids, GenerationOptions.Greedy with { MaxTokens = maxTokens })];
        var decoder = new TokenTextDecoder(tokenizer);
        string text = string.Concat(generated.Select(decoder.Append)) + decoder.Flush();
        return (ids, generated, text);
    }

    [Test]
    public async Task ReadmeExampleRuns()
    {
        using var model = LlamaModel.Load(TestModels.Gguf("q8_0"), new ModelOptions { MaxSequences = 4, Device = DeviceKind.Cpu, Threads = 2, ContextLength = 128 });
        IChatClient chat = model.AsChatClient();
        ChatMessage[] conversation = [new(ChatRole.System, "Be brief."), new(ChatRole.User, "Name three colours.")];
        var response = await chat.GetResponseAsync(conversation, new ChatOptions { MaxOutputTokens = 64, Temperature = 0 });
        Assert.That(response.Text, Is.Not.Empty);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in chat.GetStreamingResponseAsync(conversation))
            updates.Add(update);

        var usage = updates[^1].Contents.OfType<UsageContent>().Single().Details;
        long used = usage.InputTokenCount!.Value + usage.OutputTokenCount!.Value;
        Assert.That(used, Is.LessThanOrEqualTo(model.ContextLength), "without MaxOutputTokens it generates up to a full context");
        Assert.That(updates[^1].FinishReason == ChatFinishReason.Length, Is.EqualTo(used == model.ContextLength));
    }

    [Test]
    public async Task StreamingAndNotStreamingGiveTheSameTextAndUsage()
    {
        using var cancel = new CancellationTokenSource(HangGuard);
        var client = _model.AsChatClient();
        var response = await client.GetResponseAsync(Ask("Once upon a time"), Greedy(24), cancel.Token);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(Ask("Once upon a time"), Greedy(24), cancel.Token)) updates.Add(update);

        Assert.That(response.Text, Is.Not.Empty);
        Assert.That(string.Concat(updates.Select(u => u.Text)), Is.EqualTo(response.Text));
        Assert.That(updates, Has.All.Matches<ChatResponseUpdate>(u => u.Role == ChatRole.Assistant && u.ResponseId == updates[0].ResponseId));
        Assert.That(updates.Take(updates.Count - 1), Has.All.Matches<ChatResponseUpdate>(u => u.FinishReason is null && u.Text.Length > 0));
        var last = updates[^1];
        Assert.That(last.FinishReason, Is.EqualTo(response.FinishReason));
        var usage = last.Contents.OfType<UsageContent>().Single().Details;
        Assert.That((usage.InputTokenCount, usage.OutputTokenCount, usage.TotalTokenCount),
            Is.EqualTo((response.Usage!.InputTokenCount, response.Usage.OutputTokenCount, response.Usage.TotalTokenCount)));

        var merged = updates.ToChatResponse();
        Assert.That(merged.Text, Is.EqualTo(response.Text));
        Assert.That(merged.FinishReason, Is.EqualTo(response.FinishReason));
        Assert.That(merged.Usage!.OutputTokenCount, Is.EqualTo(response.Usage.OutputTokenCount));
        Assert.That(response.Messages.Single().Role, Is.EqualTo(ChatRole.Assistant));
        Assert.That(response.ModelId, Is.EqualTo("minerva-tiny"));
        Assert.That(response.ResponseId, Does.StartWith("chatcmpl-"));
        Assert.That(response.Messages[0].MessageId, Is.EqualTo(response.ResponseId));
        Assert.That(response.CreatedAt, Is.Not.Null);
    }

    [Test]
    public async Task UsageCountsTheTemplatedPromptAndTheGeneratedTokens()
    {
        using var cancel = new CancellationTokenSource(HangGuard);
        var client = _model.AsChatClient();
        var conversation = Ask("Hello world");
        var response = await client.GetResponseAsync(conversation, Greedy(16), cancel.Token);
        var (prompt, generated, text) = Reference(conversation, 16);

        Assert.That(response.Text, Is.EqualTo(text), "the text a plain session generates from the templated prompt");
        Assert.That(response.Usage!.InputTokenCount, Is.EqualTo(prompt.Length));
        Assert.That(response.Usage.OutputTokenCount, Is.EqualTo(generated.Length));
        Assert.That(response.Usage.TotalTokenCount, Is.EqualTo(prompt.Length + generated.Length));
    }

    [Test]
    public async Task TheEvaluatedTokensAreTheTemplatedPromptThenTheGeneratedOnes()
    {
        using var cancel = new CancellationTokenSource(HangGuard);
        var client = _model.AsChatClient();
        IReadOnlyList<int>? evaluated = null;
        client.Evaluated = tokens => evaluated = [.. tokens];
        var conversation = Ask("Once upon a time");
        await client.GetResponseAsync(conversation, Greedy(8), cancel.Token);
        var (prompt, generated, _) = Reference(conversation, 8);
        Assert.That(evaluated, Is.EqualTo(prompt.Concat(generated.SkipLast(1))), "the last token is handed out, not evaluated");
    }

    [Test]
    public async Task AStopSequenceEndsTheTextWithFinishReasonStop()
    {
        using var cancel = new CancellationTokenSource(HangGuard);
        var client = _model.AsChatClient();
        string full = (await client.GetResponseAsync(Ask("Once upon a time"), Greedy(32), cancel.Token)).Text;
        Assert.That(full.Length, Is.GreaterThan(8), "enough text to cut");
        string stop = full.Substring(full.Length / 2, 2);
        string expected = full[..full.IndexOf(stop, StringComparison.Ordinal)];

        var options = Greedy(32);
        options.StopSequences = [stop];
        var response = await client.GetResponseAsync(Ask("Once upon a time"), options, cancel.Token);
        Assert.That(response.Text, Is.EqualTo(expected));
        Assert.That(response.FinishReason, Is.EqualTo(ChatFinishReason.Stop));
        Assert.That(response.Usage!.OutputTokenCount, Is.LessThan(32));

        string streamed = "";
        ChatFinishReason? reason = null;
        await foreach (var update in client.GetStreamingResponseAsync(Ask("Once upon a time"), options, cancel.Token))
        {
            streamed += update.Text;
            reason ??= update.FinishReason;
        }
        Assert.That((streamed, reason), Is.EqualTo((expected, (ChatFinishReason?)ChatFinishReason.Stop)));
    }

    [Test]
    public async Task MaxOutputTokensEndsWithFinishReasonLength()
    {
        using var cancel = new CancellationTokenSource(HangGuard);
        var response = await _model.AsChatClient().GetResponseAsync(Ask("Hello world"), Greedy(5), cancel.Token);
        Assert.That(response.FinishReason, Is.EqualTo(ChatFinishReason.Length));
        Assert.That(response.Usage!.OutputTokenCount, Is.EqualTo(5));
    }

    [Test]
    public async Task OptionsMapOntoTheEngineAndRawGenerationOptionsAreTheBase()
    {
        using var cancel = new CancellationTokenSource(HangGuard);
        var client = _model.AsChatClient();
        var sampled = new ChatOptions { MaxOutputTokens = 12, Temperature = 0.9f, TopK = 20, TopP = 0.9f, Seed = 42 };
        string a = (await client.GetResponseAsync(Ask("Once upon a time"), sampled, cancel.Token)).Text;
        string b = (await client.GetResponseAsync(Ask("Once upon a time"), sampled.Clone(), cancel.Token)).Text;
        Assert.That(b, Is.EqualTo(a), "the same seed, the same text");

        var raw = Greedy(6);
        raw.RawRepresentationFactory = _ => GenerationOptions.Greedy with { MaxTokens = 100, IgnoreEos = true };
        var response = await client.GetResponseAsync(Ask("Hello world"), raw, cancel.Token);
        Assert.That(response.Usage!.OutputTokenCount, Is.EqualTo(6), "ChatOptions override the raw base");
    }

    [Test]
    public void WhatTheEngineCannotDoIsRefused()
    {
        var client = _model.AsChatClient();
        Task Call(ChatOptions options, ChatMessage[]? messages = null) => client.GetResponseAsync(messages ?? Ask("Hi"), options);
        Assert.ThrowsAsync<NotSupportedException>(() => Call(new ChatOptions { FrequencyPenalty = 0.5f }));
        Assert.ThrowsAsync<NotSupportedException>(() => Call(new ChatOptions { PresencePenalty = 0.5f }));
        Assert.ThrowsAsync<NotSupportedException>(() => Call(new ChatOptions { Tools = [AIFunctionFactory.Create(() => 1, "one")] }));
        Assert.ThrowsAsync<NotSupportedException>(() => Call(new ChatOptions { ResponseFormat = ChatResponseFormat.Json }));
        Assert.ThrowsAsync<NotSupportedException>(() => Call(new ChatOptions { ModelId = "gpt-4o" }));
        Assert.ThrowsAsync<NotSupportedException>(() => Call(Greedy(1), [new ChatMessage(ChatRole.Tool, "result")]));
        Assert.ThrowsAsync<ArgumentException>(() => Call(Greedy(1), []));
        Assert.ThrowsAsync<ContextLengthExceededException>(() => Call(Greedy(1), [new ChatMessage(ChatRole.User, string.Concat(Enumerable.Repeat("word ", 300)))]));
        Assert.That(_model.ActiveSessions, Is.Zero, "a refused call takes no session");
    }

    [Test]
    public async Task CancellingAfterTheFirstUpdateEndsTheStream()
    {
        using var cancel = new CancellationTokenSource(HangGuard);
        var options = new ChatOptions { MaxOutputTokens = 200, RawRepresentationFactory = _ => GenerationOptions.Greedy with { IgnoreEos = true } };
        int updates = 0;
        Assert.That(async () =>
        {
            await foreach (var _ in _model.AsChatClient().GetStreamingResponseAsync(Ask("Once upon a time"), options, cancel.Token))
            {
                updates++;
                cancel.Cancel();
            }
        }, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(updates, Is.EqualTo(1), "no update after the cancellation");
        Assert.That(_model.ActiveSessions, Is.Zero, "the session went back to the pool");
        var after = await _model.AsChatClient().GetResponseAsync(Ask("Hello world"), Greedy(4));
        Assert.That(after.Usage!.OutputTokenCount, Is.EqualTo(4), "the model serves the next call");
    }

    [Test]
    public async Task ConcurrentCallsGiveTheSameTextAsAloneAndWaitForAFreeSession()
    {
        using var cancel = new CancellationTokenSource(HangGuard);
        var client = _model.AsChatClient();
        string[] questions = ["Once upon a time", "Hello world", "The story of the water", "What day is it"];
        var alone = new List<string>();
        foreach (string q in questions) alone.Add((await client.GetResponseAsync(Ask(q), Greedy(16), cancel.Token)).Text);

        Assert.That(_model.MaxSequences, Is.EqualTo(2), "four calls on two sessions: two wait");
        var together = await Task.WhenAll(questions.Select(q => Task.Run(() => client.GetResponseAsync(Ask(q), Greedy(16), cancel.Token))));
        Assert.That(together.Select(r => r.Text), Is.EqualTo(alone));
        Assert.That(_model.ActiveSessions, Is.Zero);
    }

    [Test]
    public async Task ACallWaitsWhileEverySessionIsTakenAndItsWaitCanBeCancelled()
    {
        using var cancel = new CancellationTokenSource(HangGuard);
        var client = _model.AsChatClient();
        using var first = _model.CreateSession();
        using var second = _model.CreateSession();
        var waiting = client.GetResponseAsync(Ask("Hello world"), Greedy(4), cancel.Token);
        using var give = new CancellationTokenSource();
        var givenUp = client.GetResponseAsync(Ask("Hello world"), Greedy(4), give.Token);
        await Task.WhenAny(waiting, Task.Delay(200));
        Assert.That(waiting.IsCompleted, Is.False, "no session is free");
        give.Cancel();
        Assert.That(async () => await givenUp, Throws.InstanceOf<OperationCanceledException>());

        first.Dispose();
        var response = await waiting;
        Assert.That(response.Usage!.OutputTokenCount, Is.EqualTo(4));
        second.Dispose();
        Assert.That(_model.ActiveSessions, Is.Zero);
    }

    [Test]
    public async Task ServicesMetadataAndDisposeLeaveTheModelLoaded()
    {
        IChatClient client = _model.AsChatClient();
        Assert.That(client.GetService<LlamaModel>(), Is.SameAs(_model));
        var metadata = client.GetService<ChatClientMetadata>()!;
        Assert.That((metadata.ProviderName, metadata.DefaultModelId), Is.EqualTo(("minerva-native", "minerva-tiny")));
        Assert.That(client.GetService<IChatClient>(), Is.SameAs(client));
        Assert.That(client.GetService(typeof(LlamaModel), serviceKey: "other"), Is.Null);
        Assert.That(client.GetService<string>(), Is.Null);

        using (IChatClient named = _model.AsChatClient("my-model"))
        {
            Assert.That(named.GetService<ChatClientMetadata>()!.DefaultModelId, Is.EqualTo("my-model"));
            var response = await named.GetResponseAsync(Ask("Hi"), new ChatOptions { ModelId = "my-model", MaxOutputTokens = 2, Temperature = 0 });
            Assert.That(response.ModelId, Is.EqualTo("my-model"));
        }
        client.Dispose();
        using var session = _model.CreateSession();
        Assert.That(session.EvaluateGreedy(_model.Tokenizer.Encode("Hello", addBos: true)), Is.InRange(0, _model.Config.VocabSize - 1), "the model still runs");
    }
}
