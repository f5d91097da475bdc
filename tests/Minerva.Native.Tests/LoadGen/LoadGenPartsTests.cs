// Unit checks of the load generator's pure parts: SSE framing (CRLF, comments, multi-line data, byte-at-a-time reads),
// chunk parsing (content, finish, usage, error), percentiles against hand-computed values, level summaries, options.
using System.Text;
using Minerva.Native.LoadGen;

namespace Minerva.Native.Tests.LoadGen;

public class LoadGenPartsTests
{
    /// <summary>A stream that hands out one byte per read, so events split anywhere across reads.</summary>
    private sealed class Trickle(byte[] bytes) : MemoryStream(bytes)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, 1));
        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, 1)]);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, 1)], cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            base.ReadAsync(buffer, offset, Math.Min(count, 1), cancellationToken);
    }

    private static async Task<List<string>> Events(string text)
    {
        var events = new List<string>();
        await foreach (string e in SseReader.ReadDataAsync(new Trickle(Encoding.UTF8.GetBytes(text)))) events.Add(e);
        return events;
    }

    [Test]
    public async Task SseEventsSplitAtBlankLinesWhateverTheLineEnding()
    {
        string text = "data: {\"a\":1}\n\n" +
                      ": a comment, ignored\r\n" +
                      "event: message\r\nid: 7\r\ndata:{\"b\":\"é 雪\"}\r\n\r\n" +   // no space after the colon; other fields ignored
                      "data: line one\ndata:  line two\n\n" +                  // multi-line data joins with LF; only one space is stripped
                      "data\n\n" +                                             // a field with no colon is an empty value
                      "\n\n" +                                                 // blank lines alone dispatch nothing
                      "data: [DONE]\r\r" +                                     // CR alone ends lines too
                      "data: cut off at the end";                              // no blank line: never dispatched
        Assert.That(await Events(text), Is.EqualTo(new[] { "{\"a\":1}", "{\"b\":\"é 雪\"}", "line one\n line two", "", "[DONE]" }));
    }

    [Test]
    public void ChunksGiveContentFinishUsageOrError()
    {
        var c = ChatChunk.Parse("""{"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" pnz"},"logprobs":null,"finish_reason":null}]}""");
        Assert.That((c.Content, c.FinishReason, c.CompletionTokens, c.Error), Is.EqualTo((" pnz", (string?)null, (int?)null, (string?)null)));

        var role = ChatChunk.Parse("""{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}""");
        Assert.That(role.Content, Is.Empty);

        var finish = ChatChunk.Parse("""{"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}""");
        Assert.That((finish.Content, finish.FinishReason), Is.EqualTo(((string?)null, "length")));

        var usage = ChatChunk.Parse("""{"choices":[],"usage":{"prompt_tokens":41,"completion_tokens":8,"total_tokens":49}}""");
        Assert.That((usage.PromptTokens, usage.CompletionTokens, usage.Content), Is.EqualTo(((int?)41, (int?)8, (string?)null)));

        var error = ChatChunk.Parse("""{"error":{"message":"the slot was cancelled","type":"server_error"}}""");
        Assert.That(error.Error, Is.EqualTo("the slot was cancelled"));
        Assert.That(ChatChunk.Parse("[1,2]").Error, Does.StartWith("not a JSON object"));
    }

    [Test]
    public void PercentilesInterpolateBetweenClosestRanks()
    {
        // numpy.percentile([1, 2, 3, 4], [0, 50, 95, 100]) = 1, 2.5, 3.85, 4
        double[] x = [4, 1, 3, 2];
        Assert.That(Percentiles.Of(x, 0), Is.EqualTo(1));
        Assert.That(Percentiles.Of(x, 50), Is.EqualTo(2.5).Within(1e-12));
        Assert.That(Percentiles.Of(x, 95), Is.EqualTo(3.85).Within(1e-12));
        Assert.That(Percentiles.Of(x, 100), Is.EqualTo(4));
        // numpy.percentile(range(1, 21), 95) = 19.05; p50 of an odd count is the middle value
        Assert.That(Percentiles.Of(Enumerable.Range(1, 20).Select(i => (double)i), 95), Is.EqualTo(19.05).Within(1e-12));
        Assert.That(Percentiles.Of([5, 1, 9], 50), Is.EqualTo(5));
        Assert.That(Percentiles.Of([7], 95), Is.EqualTo(7));
        Assert.That(Percentiles.Of([], 50), Is.NaN);
        Assert.That(Percentiles.Of([double.NaN, 2, double.NaN], 50), Is.EqualTo(2), "NaN (a request with no content) is skipped");
        Assert.Throws<ArgumentOutOfRangeException>(() => Percentiles.Of(x, 101));
    }

    [Test]
    public void SummaryCountsSuccessfulRequestsOnlyAndDividesByWallTime()
    {
        RequestResult Ok(int i, double ttft, double latency, int tokens) => new(i, 0, ttft, latency, 32, tokens, tokens, true, "length", null);
        var results = new[]
        {
            Ok(0, 100, 1100, 11), Ok(1, 200, 2200, 21), RequestResult.Failed(2, 5, 9, "HTTP 503: busy"), Ok(3, 300, 3300, 31),
        };
        var s = LevelSummary.From("server", 2, 4, 32, results, wallSeconds: 4);
        Assert.That((s.Requests, s.Ok, s.Errors, s.GeneratedTokens), Is.EqualTo((4, 3, 1, 63L)));
        Assert.That(s.AggregateTokensPerSecond, Is.EqualTo(63 / 4.0));
        Assert.That(s.TokensPerRequest, Is.EqualTo(21));
        Assert.That(s.TtftP50Ms, Is.EqualTo(200));
        Assert.That(s.LatencyP95Ms, Is.EqualTo(2200 + 0.9 * 1100).Within(1e-9));
        Assert.That(s.StreamTokensPerSecondP50, Is.EqualTo(10.0), "(tokens - 1) / (latency - ttft): 10 per second each");
        Assert.That(s.FirstError, Is.EqualTo("HTTP 503: busy"));
        Assert.That(ReportWriter.CsvRow(s), Is.EqualTo("server,2,4,4,3,1,32,32,63,21,4,15.75,200,290,2200,3190,10"));
        Assert.That(ReportWriter.CsvHeader.Split(',').Length, Is.EqualTo(ReportWriter.CsvRow(s).Split(',').Length));
    }

    [Test]
    public void OptionsParseListsAndRefuseMistakes()
    {
        var o = LoadGenOptions.Parse(["--url", "http://127.0.0.1:9000", "--concurrency", "1, 4,16", "--requests", "4,8,32", "--max-tokens", "8"]);
        Assert.That((o.Url.Port, o.Levels, o.RequestsAt(2), o.MaxTokens, o.PromptTokens), Is.EqualTo((9000, new[] { 1, 4, 16 }, 32, 8, 32)));
        Assert.That(LoadGenOptions.Parse(["--requests", "5"]).RequestsAt(2), Is.EqualTo(5));
        foreach (string[] bad in new string[][]
        {
            ["--concurrency", "0"], ["--requests", "1,2"], ["--max-tokens", "x"], ["--url", "ftp://h"], ["--url"], ["--what"],
            ["--peer-llamacpp", "/no/such.gguf"], ["--prompt", ""],
        })
            Assert.Throws<ArgumentException>(() => LoadGenOptions.Parse(bad), string.Join(' ', bad));
    }

    [Test]
    public async Task PromptSizingHitsTheTargetWhenOneTokenWordsAllowIt()
    {
        // A stand-in tokenizer: each word costs its length in tokens, "a" one.
        static Task<int> Count(string text) => Task.FromResult(text.Split(' ').Sum(w => w.Length == 1 ? 1 : w.Length));
        foreach (int target in new[] { 1, 2, 3, 17, 50, 200 })
        {
            var (text, tokens) = await PromptBuilder.ForTokensAsync(target, Count);
            Assert.That(tokens, Is.EqualTo(await Count(text)));
            Assert.That(tokens, Is.EqualTo(Math.Max(target, 3)), $"target {target}: '{text}' (one word at least: 'The' is 3)");
        }
    }
}
