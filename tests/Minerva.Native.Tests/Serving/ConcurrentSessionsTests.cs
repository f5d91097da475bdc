// Many conversations on one model: concurrent sessions give exactly what each gives alone (greedy, CPU), steps really
// batch rows of several sequences, multi-turn chat equals one-shot evaluation, prefix reuse evaluates only the suffix,
// control-token text in user input stays text, and misuse or disposal is a clear exception, never a crash.
using Minerva.Native.Generation;
using Minerva.Native.Model;
using Minerva.Native.Tests.Model;
using Minerva.Native.Tokenization;

namespace Minerva.Native.Tests.Serving;

[NonParallelizable]
public class ConcurrentSessionsTests
{
    private static readonly GenerationOptions Greedy = GenerationOptions.Greedy with { MaxTokens = 24, IgnoreEos = true };

    private static LlamaModel Load(string type = "q8_0", int sequences = 8) =>
        LlamaModel.Load(TestModels.Gguf(type), new ModelOptions { Device = DeviceKind.Cpu, Threads = 2, ContextLength = 256, MaxSequences = sequences });

    private static int[] Prompt(int i, int length) =>
        [1, .. Enumerable.Range(0, length - 1).Select(k => 3 + (int)(((i + 1) * 7919L + k * 104729L) % (ModelPreset.Tiny.VocabSize - 3)))];

    private static int[] Alone(LlamaModel model, int[] prompt, GenerationOptions options)
    {
        using var s = model.CreateSession();
        return s.GenerateTokens(prompt, options).ToArray();
    }

    [TestCase("q8_0", 2)]
    [TestCase("q8_0", 8)]
    [TestCase("q4_k_m", 8)]
    [TestCase("f16", 4)]
    public void ConcurrentSessionsGiveWhatEachGivesAlone(string type, int sessions)
    {
        using var model = Load(type);
        var prompts = Enumerable.Range(0, sessions).Select(i => Prompt(i, 5 + 9 * i)).ToArray();
        var expected = prompts.Select(p => Alone(model, p, Greedy)).ToArray();
        var (steps0, rows0) = model.StepCounts;

        var results = new int[sessions][];
        using var start = new Barrier(sessions);
        var threads = Enumerable.Range(0, sessions).Select(i => new Thread(() =>
        {
            using var s = model.CreateSession();
            start.SignalAndWait();
            results[i] = s.GenerateTokens(prompts[i], Greedy).ToArray();
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) Assert.That(t.Join(TimeSpan.FromSeconds(120)), "hang guard");

        for (int i = 0; i < sessions; i++) Assert.That(results[i], Is.EqualTo(expected[i]), $"session {i}");
        var (steps, rows) = model.StepCounts;
        int total = prompts.Sum(p => p.Length) + sessions * (Greedy.MaxTokens - 1);
        Assert.That(rows - rows0, Is.EqualTo(total), "every prompt token and generated token but the last ran once");
        Assert.That(steps - steps0, Is.LessThan(total), "steps held rows of several sequences");
        TestContext.Out.WriteLine($"{sessions} sessions: {rows - rows0} rows in {steps - steps0} steps");
    }

    [Test]
    public async Task AsyncStreamsRunConcurrentlyAndMatch()
    {
        using var model = Load();
        var prompts = Enumerable.Range(0, 4).Select(i => Prompt(i, 12)).ToArray();
        var expected = prompts.Select(p => Alone(model, p, Greedy)).ToArray();
        var tasks = prompts.Select(async p =>
        {
            using var s = model.CreateSession();
            var got = new List<int>();
            await foreach (int t in s.GenerateTokensAsync(p, Greedy)) got.Add(t);
            return got.ToArray();
        }).ToArray();
        var results = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(120));
        for (int i = 0; i < results.Length; i++) Assert.That(results[i], Is.EqualTo(expected[i]));
    }

    [Test]
    public async Task MultiTurnChatEqualsOneShotEvaluation()
    {
        using var model = Load();
        var tok = model.Tokenizer;
        var opts = Greedy with { MaxTokens = 8 };
        using var chat = model.CreateSession();
        string first = string.Concat(await chat.GenerateAsync("Once upon a time", opts).ToListAsync());
        var afterFirst = chat.Tokens.ToArray();
        string second = string.Concat(await chat.GenerateAsync(" and then", opts).ToListAsync());

        // One shot: the first prompt, the first reply's tokens, the second prompt; then the same greedy continuation.
        var firstPrompt = tok.Encode("Once upon a time", addBos: true, parseSpecial: false);
        var firstReply = Alone(model, firstPrompt, opts);
        Assert.That(afterFirst, Is.EqualTo(firstPrompt.Concat(firstReply.Take(firstReply.Length - 1)).ToArray()),
            "the cache holds the prompt and every reply token but the pending last one");
        int[] whole = [.. firstPrompt, .. firstReply, .. tok.Encode(" and then", addBos: false, parseSpecial: false)];
        var secondReply = Alone(model, whole, opts);
        var decoder = new TokenTextDecoder(tok);
        string expected = string.Concat(secondReply.Select(decoder.Append)) + decoder.Flush();
        Assert.That(second, Is.EqualTo(expected));
        Assert.That(chat.Tokens.Take(whole.Length), Is.EqualTo(whole), "BOS once, at position 0");
    }

    [Test]
    public async Task PrefixReuseEvaluatesOnlyTheSuffix()
    {
        using var model = Load();
        var opts = Greedy with { MaxTokens = 4 };
        int[] turn1 = Prompt(1, 40), turn2 = [.. turn1, .. Prompt(2, 10)[1..]];
        using var s = model.CreateSession();
        var reply1 = await s.GenerateFromAsync(turn1, opts).ToListAsync();
        long before = s.EvaluatedTokens;
        int[] conversation = [.. turn1, .. reply1, .. turn2[turn1.Length..]];
        var reply2 = await s.GenerateFromAsync(conversation, opts).ToListAsync();
        long evaluated = s.EvaluatedTokens - before;
        // the pending last reply token, the new user tokens, then the generated ones but the last
        Assert.That(evaluated, Is.EqualTo(1 + (turn2.Length - turn1.Length) + reply2.Count - 1));
        Assert.That(reply2, Is.EqualTo(Alone(model, conversation, opts)), "same continuation as a fresh session");

        // an edit: a conversation that diverges inside the cache is truncated to the common prefix
        int[] edited = [.. turn1[..20], 77, 78, 79];
        var reply3 = await s.GenerateFromAsync(edited, opts).ToListAsync();
        Assert.That(reply3, Is.EqualTo(Alone(model, edited, opts)));
        Assert.That(s.Tokens.Take(edited.Length), Is.EqualTo(edited));
    }

    [Test]
    public async Task ControlTokenTextInUserInputIsInert()
    {
        using var model = Load();
        using var s = model.CreateSession();
        var opts = Greedy with { MaxTokens = 3 };
        await s.GenerateAsync("hello </s> <s> world", opts).ToListAsync();
        var ids = s.Tokens;
        Assert.That(ids[0], Is.EqualTo(model.Tokenizer.Bos));
        Assert.That(ids.Skip(1), Has.None.EqualTo(model.Tokenizer.Eos).And.None.EqualTo(model.Tokenizer.Bos), "the text stays text");
    }

    [Test]
    public void MisuseAndDisposalAreClearExceptions()
    {
        var model = Load(sequences: 2);
        var a = model.CreateSession();
        using (var b = model.CreateSession())
            Assert.That(Assert.Throws<InvalidOperationException>(() => model.CreateSession())!.Message, Does.Contain("all 2 sessions"));
        using (model.CreateSession()) { } // a disposed session frees its slot

        // one caller at a time per session
        var stream = a.GenerateTokensAsync(Prompt(0, 8), Greedy with { MaxTokens = 200 }).GetAsyncEnumerator();
        Assert.That(stream.MoveNextAsync().AsTask().Wait(TimeSpan.FromSeconds(60)), "hang guard");
        Assert.That(Assert.Throws<InvalidOperationException>(() => a.Evaluate([5]))!.Message, Does.Contain("already running"));

        // disposing the model while a generation runs ends it with ObjectDisposedException, and every later call too
        model.Dispose();
        Assert.That(async () => { while (await stream.MoveNextAsync()) { } }, Throws.InstanceOf<ObjectDisposedException>());
        stream.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(60));
        Assert.Throws<ObjectDisposedException>(() => a.Evaluate([5]));
        Assert.Throws<ObjectDisposedException>(() => model.CreateSession());
        a.Dispose();
    }

    // Reports where they are made (Progress<T> would post them to the thread pool, out of order).
    private sealed class Recorder : IProgress<double>
    {
        private readonly List<double> _values = [];
        public List<double> Values { get { lock (_values) return [.. _values]; } }
        public void Report(double value) { lock (_values) _values.Add(value); }
    }

    [Test]
    public async Task LoadAsyncReportsProgressAndRunsOffTheCallersThread()
    {
        var progress = new Recorder();
        using var model = await LlamaModel.LoadAsync(TestModels.Gguf("q8_0"), new ModelOptions { Device = DeviceKind.Cpu, Threads = 2 }, progress)
            .WaitAsync(TimeSpan.FromSeconds(60));
        var reports = progress.Values;
        Assert.That(reports, Is.Not.Empty);
        Assert.That(reports[^1], Is.EqualTo(1.0));
        Assert.That(reports, Is.Ordered);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.That(async () => await LlamaModel.LoadAsync(TestModels.Gguf("q8_0"), null, null, cancelled.Token),
            Throws.InstanceOf<OperationCanceledException>());
    }
}
