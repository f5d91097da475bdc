// The server driven by the official OpenAI .NET SDK and by Microsoft.Extensions.AI.OpenAI's IChatClient (no mocks):
// chat with and without streaming, completions, models, usage, stop sequences, API keys; a 32-request load against 8
// slots whose answers equal the same requests sent alone; a client killed mid-stream frees its slot; 200 malformed
// requests are 400s and the server still answers. Loopback only, bounded in count, timeouts as hang guards.
using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;

namespace Minerva.Native.Tests.Server;

[NonParallelizable]
public class OpenAiClientTests
{
    private static ChatClient Sdk(ServerFixture f, string key = "none") =>
        new OpenAIClient(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(f.BaseAddress, "/v1") }).GetChatClient("tiny");

    private static ChatCompletionOptions Greedy(int maxTokens = 16) => new() { Temperature = 0, MaxOutputTokenCount = maxTokens };

    [Test]
    public async Task ChatStreamingAndNotGiveTheSameTextWithUsage()
    {
        await using var f = await ServerFixture.StartAsync();
        var client = Sdk(f);
        OpenAI.Chat.ChatMessage[] messages = [new SystemChatMessage("You are terse."), new UserChatMessage("Tell me a story.")];
        ChatCompletion whole = await client.CompleteChatAsync(messages, Greedy());
        Assert.That(whole.Role, Is.EqualTo(ChatMessageRole.Assistant));
        Assert.That(whole.Usage.OutputTokenCount, Is.EqualTo(16));
        Assert.That(whole.FinishReason, Is.EqualTo(OpenAI.Chat.ChatFinishReason.Length));

        var streamed = new StringBuilder();
        OpenAI.Chat.ChatTokenUsage? usage = null;
        var options = Greedy();
        await foreach (var update in client.CompleteChatStreamingAsync(messages, options))
        {
            foreach (var part in update.ContentUpdate) streamed.Append(part.Text);
            usage ??= update.Usage;
        }
        Assert.That(streamed.ToString(), Is.EqualTo(whole.Content[0].Text));

        // the prompt is the model's chat template: its token count is what the tokenizer gives for the templated text
        var model = f.Server.Model!;
        string prompt = Minerva.Native.Tokenization.ChatTemplate.Apply(model.Tokenizer.ChatTemplate,
            [new Minerva.Native.Tokenization.ChatMessage("system", "You are terse."), new Minerva.Native.Tokenization.ChatMessage("user", "Tell me a story.")], addAssistantPrompt: true);
        Assert.That(whole.Usage.InputTokenCount, Is.EqualTo(model.Tokenizer.Encode(prompt, model.Tokenizer.AddBos, parseSpecial: true).Length));
    }

    [Test]
    public async Task ExtensionsAiClientModelsStopAndCompletions()
    {
        await using var f = await ServerFixture.StartAsync();
        IChatClient chat = Sdk(f).AsIChatClient();
        var greedy = new ChatOptions { Temperature = 0, MaxOutputTokens = 12 };
        var direct = await f.Server.Model!.AsChatClient("tiny").GetResponseAsync([new(ChatRole.User, "Hello")], greedy);
        var viaHttp = await chat.GetResponseAsync([new(ChatRole.User, "Hello")], greedy);
        Assert.That(viaHttp.Text, Is.EqualTo(direct.Text), "the HTTP server answers what the engine's own IChatClient answers");
        Assert.That(viaHttp.Usage!.OutputTokenCount, Is.EqualTo(direct.Usage!.OutputTokenCount));

        // a stop sequence taken from the greedy text ends it there
        string text = direct.Text;
        string stop = text.Substring(Math.Min(3, text.Length - 1), 1);
        var stopped = await chat.GetResponseAsync([new(ChatRole.User, "Hello")], new ChatOptions { Temperature = 0, MaxOutputTokens = 12, StopSequences = [stop] });
        Assert.That(stopped.Text, Is.EqualTo(text[..text.IndexOf(stop, StringComparison.Ordinal)]));
        Assert.That(stopped.FinishReason, Is.EqualTo(Microsoft.Extensions.AI.ChatFinishReason.Stop));

        var models = new OpenAIClient(new ApiKeyCredential("none"), new OpenAIClientOptions { Endpoint = new Uri(f.BaseAddress, "/v1") }).GetOpenAIModelClient();
        var list = (await models.GetModelsAsync()).Value;
        Assert.That(list.Select(m => m.Id), Is.EqualTo(new[] { "tiny" }));

        using var response = await f.Http.PostAsync("/v1/completions",
            new StringContent("""{"prompt":"Once upon a time","max_tokens":8,"temperature":0}""", Encoding.UTF8, "application/json"));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(doc.RootElement.GetProperty("object").GetString(), Is.EqualTo("text_completion"));
        Assert.That(doc.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), Is.EqualTo(8));
        Assert.That(doc.RootElement.GetProperty("choices")[0].GetProperty("finish_reason").GetString(), Is.EqualTo("length"));
    }

    [Test]
    public async Task ApiKeyIsRequiredExceptForHealth()
    {
        await using var f = await ServerFixture.StartAsync(apiKey: "sekrit");
        var ex = Assert.ThrowsAsync<ClientResultException>(async () => await Sdk(f, "wrong").CompleteChatAsync([new UserChatMessage("hi")], Greedy(2)));
        Assert.That(ex!.Status, Is.EqualTo(401));
        ChatCompletion ok = await Sdk(f, "sekrit").CompleteChatAsync([new UserChatMessage("hi")], Greedy(2));
        Assert.That(ok.Usage.OutputTokenCount, Is.EqualTo(2));
        using var health = await f.Http.GetAsync("/health");
        Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task ThirtyTwoConcurrentStreamsOnEightSlotsAllCompleteAsAlone()
    {
        await using var f = await ServerFixture.StartAsync(parallel: 8);
        var client = Sdk(f);
        string Prompt(int i) => $"Request {i}: tell me about the number {i * 37}.";
        async Task<string> Stream(int i)
        {
            var text = new StringBuilder();
            await foreach (var u in client.CompleteChatStreamingAsync([new UserChatMessage(Prompt(i))], Greedy(12)))
                foreach (var part in u.ContentUpdate) text.Append(part.Text);
            return text.ToString();
        }
        var alone = new string[32];
        for (int i = 0; i < 32; i += 4) alone[i] = await Stream(i);   // a sample sent alone
        var all = await Task.WhenAll(Enumerable.Range(0, 32).Select(Stream)).WaitAsync(TimeSpan.FromSeconds(300));
        Assert.That(all, Has.All.Not.Empty, "none lost");
        for (int i = 0; i < 32; i += 4) Assert.That(all[i], Is.EqualTo(alone[i]), $"request {i} under load");
        string metrics = await f.Http.GetStringAsync("/metrics");
        Assert.That(metrics, Does.Contain("minerva_requests_active 0"));
    }

    [Test]
    public async Task AClientKilledMidStreamFreesItsSlot()
    {
        await using var f = await ServerFixture.StartAsync(parallel: 1);
        // a raw connection, closed after the first event: HttpClient would drain the rest of the stream to reuse it
        using (var tcp = new System.Net.Sockets.TcpClient())
        {
            await tcp.ConnectAsync(f.BaseAddress.Host, f.BaseAddress.Port);
            var stream = tcp.GetStream();
            string body = """{"messages":[{"role":"user","content":"Hi"}],"stream":true,"max_tokens":200,"temperature":0}""";
            string request = $"POST /v1/chat/completions HTTP/1.1\r\nHost: {f.BaseAddress.Authority}\r\nContent-Type: application/json\r\n" +
                             $"Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";
            await stream.WriteAsync(Encoding.UTF8.GetBytes(request));
            var reader = new StreamReader(stream);
            string? line;
            while ((line = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60))) is not null && !line.StartsWith("data: ", StringComparison.Ordinal)) { }
            Assert.That(line, Does.StartWith("data: "));
            tcp.Client.LingerState = new System.Net.Sockets.LingerOption(true, 0);   // reset, as a killed process would
        }
        // the one slot is free again: the next request is served (it would queue behind the dead one otherwise)
        ChatCompletion next = await Sdk(f).CompleteChatAsync([new UserChatMessage("again")], Greedy(2)).WaitAsync(TimeSpan.FromSeconds(120));
        Assert.That(next.Usage.OutputTokenCount, Is.EqualTo(2));
        string metrics = "";
        for (int i = 0; i < 600 && !metrics.Contains("status=\"499\"", StringComparison.Ordinal); i++)   // hang guard: 60 s
        {
            metrics = await f.Http.GetStringAsync("/metrics");
            if (!metrics.Contains("status=\"499\"", StringComparison.Ordinal)) await Task.Delay(100);
        }
        Assert.That(metrics, Does.Contain("status=\"499\"").And.Contain("minerva_requests_active 0"), "the dead client's request was cancelled and counted");
        long generated = long.Parse(metrics.Split('\n').First(l => l.StartsWith("minerva_generated_tokens_total ", StringComparison.Ordinal)).Split(' ')[1]);
        Assert.That(generated, Is.LessThan(200 + 2), "the dead client's generation stopped before its 200 tokens");
    }

    private static readonly string[] Malformed =
    [
        "", "{", "[]", "42", "null", """{"messages":"hi"}""", """{"messages":[]}""", """{"messages":[{"role":"wizard","content":"x"}]}""",
        """{"messages":[{"content":"x"}]}""", """{"messages":[{"role":"user","content":5}]}""", """{"messages":[{"role":"user","content":"x"}],"max_tokens":"ten"}""",
        """{"messages":[{"role":"user","content":"x"}],"max_tokens":0}""", """{"messages":[{"role":"user","content":"x"}],"temperature":9}""",
        """{"messages":[{"role":"user","content":"x"}],"n":3}""", """{"messages":[{"role":"user","content":"x"}],"stream":"yes"}""",
        """{"messages":[{"role":"user","content":"x"}],"stop":[1,2]}""", """{"messages":[{"role":"user","content":"x"}],"frequency_penalty":1}""",
        """{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}""",
    ];

    [Test]
    public async Task TwoHundredMalformedRequestsAreFourHundredsAndTheServerStillAnswers()
    {
        await using var f = await ServerFixture.StartAsync();
        for (int i = 0; i < 200; i++)
        {
            string body = Malformed[i % Malformed.Length];
            using var response = await f.Http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), body);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var error = doc.RootElement.GetProperty("error");
            Assert.That(error.GetProperty("message").GetString(), Is.Not.Empty, body);
            Assert.That(error.GetProperty("type").GetString(), Is.EqualTo("invalid_request_error"), body);
            Assert.That(error.TryGetProperty("param", out _) && error.TryGetProperty("code", out _), body);
        }
        // a prompt longer than the context is a 400 with OpenAI's code
        string longText = string.Join(' ', Enumerable.Repeat("word", 600));
        using (var tooLong = await f.Http.PostAsync("/v1/chat/completions",
                   new StringContent(JsonSerializer.Serialize(new { messages = new[] { new { role = "user", content = longText } } }), Encoding.UTF8, "application/json")))
        {
            string answer = await tooLong.Content.ReadAsStringAsync();
            Assert.That(tooLong.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), answer);
            Assert.That(answer, Does.Contain("context_length_exceeded"));
        }
        ChatCompletion ok = await Sdk(f).CompleteChatAsync([new UserChatMessage("still there?")], Greedy(3));
        Assert.That(ok.Usage.OutputTokenCount, Is.EqualTo(3));
    }

    [Test]
    public async Task HealthIs503WhileLoadingThenTokenizeRoundTrips()
    {
        await using var f = await ServerFixture.StartAsync(load: false);
        using (var loading = await f.Http.GetAsync("/health")) Assert.That(loading.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        using (var early = await f.Http.PostAsync("/v1/chat/completions", new StringContent("""{"messages":[{"role":"user","content":"x"}]}""")))
            Assert.That(early.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        await f.Server.LoadAsync();
        using (var ready = await f.Http.GetAsync("/health")) Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        using var tok = await f.Http.PostAsync("/tokenize", new StringContent("""{"content":"Hello world"}"""));
        string tokens = JsonDocument.Parse(await tok.Content.ReadAsStringAsync()).RootElement.GetProperty("tokens").GetRawText();
        Assert.That(tokens, Is.EqualTo(JsonSerializer.Serialize(f.Server.Model!.Tokenizer.Encode("Hello world", addBos: false, parseSpecial: true))));
        using var detok = await f.Http.PostAsync("/detokenize", new StringContent($$"""{"tokens":{{tokens}}}"""));
        Assert.That(JsonDocument.Parse(await detok.Content.ReadAsStringAsync()).RootElement.GetProperty("content").GetString(), Does.EndWith("Hello world"));
    }
}
