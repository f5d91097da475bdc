// OpenAI's HTTP API over one model (the shapes of platform.openai.com's reference: chat.completion, chat.completion.chunk,
// text_completion, list/model, error), plus llama-server's /health, /metrics, /tokenize and /detokenize.
using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.AI;
using Minerva.Native.Generation;
using Minerva.Native.Tokenization;

namespace Minerva.Native.Server;

public static class OpenAiEndpoints
{
    private static readonly JsonWriterOptions Compact = new() { Indented = false };

    /// <summary>Maps /v1/chat/completions, /v1/completions, /v1/models, /health, /metrics, /tokenize and /detokenize.</summary>
    public static IEndpointRouteBuilder MapMinervaOpenAi(this IEndpointRouteBuilder app, MinervaServer server)
    {
        app.MapGet("/health", (HttpContext c) => Json(c, server.IsReady ? 200 : 503, w =>
        {
            w.WriteString("status", server.IsReady ? "ok" : "loading");
        }));
        app.MapGet("/metrics", (HttpContext c) =>
        {
            c.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            return c.Response.WriteAsync(server.Metrics());
        });
        app.MapGet("/v1/models", (HttpContext c) => Handle(c, server, "models", () => Json(c, 200, w =>
        {
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            w.WriteStartObject();
            w.WriteString("id", server.ModelId);
            w.WriteString("object", "model");
            w.WriteNumber("created", server.Created);
            w.WriteString("owned_by", "minerva-native");
            w.WriteEndObject();
            w.WriteEndArray();
        })));
        app.MapPost("/v1/chat/completions", (HttpContext c) => Handle(c, server, "chat", () => ChatAsync(c, server)));
        app.MapPost("/v1/completions", (HttpContext c) => Handle(c, server, "completions", () => CompletionAsync(c, server)));
        app.MapPost("/tokenize", (HttpContext c) => Handle(c, server, "tokenize", () => TokenizeAsync(c, server)));
        app.MapPost("/detokenize", (HttpContext c) => Handle(c, server, "detokenize", () => DetokenizeAsync(c, server)));
        return app;
    }

    // Authentication, then the handler; every refusal is OpenAI's error object, never a stack trace.
    private static async Task Handle(HttpContext c, MinervaServer server, string endpoint, Func<Task> handler)
    {
        try
        {
            if (server.Options.ApiKey is { } key && c.Request.Headers.Authorization.ToString() != $"Bearer {key}")
                throw new RequestException(401, "missing or wrong API key (send 'Authorization: Bearer KEY')", type: "invalid_request_error", code: "invalid_api_key");
            await handler().ConfigureAwait(false);
            server.Count(endpoint, c.Response.StatusCode);
        }
        catch (RequestException e) when (!c.Response.HasStarted)
        {
            server.Count(endpoint, e.Status);
            await Error(c, e.Status, e.Message, e.Type, e.Param, e.Code).ConfigureAwait(false);
        }
        catch (ContextLengthExceededException e) when (!c.Response.HasStarted)
        {
            server.Count(endpoint, 400);
            await Error(c, 400, e.Message, "invalid_request_error", "messages", "context_length_exceeded").ConfigureAwait(false);
        }
        catch (Exception e) when (e is NotSupportedException or ArgumentException && !c.Response.HasStarted)
        {
            server.Count(endpoint, 400);   // what the engine refuses for this request (an unsupported option, say)
            await Error(c, 400, e.Message, "invalid_request_error", null, null).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (c.RequestAborted.IsCancellationRequested)
        {
            server.Count(endpoint, 499);   // the client went away: its generation was cancelled and its slot freed
        }
        catch (Exception e) when (e is ObjectDisposedException && !c.Response.HasStarted)
        {
            server.Count(endpoint, 503);
            await Error(c, 503, "the server is shutting down", "server_error", null, "shutting_down").ConfigureAwait(false);
        }
        catch (Exception e) when (!c.Response.HasStarted)
        {
            server.Count(endpoint, 500);
            await Error(c, 500, $"internal error: {e.Message}", "server_error", null, null).ConfigureAwait(false);
        }
        catch (Exception) when (c.Response.HasStarted)
        {
            server.Count(endpoint, 500);   // a stream broken mid-way: nothing more can be said to this client
        }
    }

    private static async Task ChatAsync(HttpContext c, MinervaServer server)
    {
        using var doc = await OpenAiRequests.ReadJsonAsync(c.Request.Body, c.RequestAborted).ConfigureAwait(false);
        var request = OpenAiRequests.ParseChat(doc.RootElement);
        var chat = server.Chat;
        var options = ChatOptions(request.Sampling, server.ModelId);
        string id = $"chatcmpl-{Guid.NewGuid():N}";
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var clock = Stopwatch.StartNew();
        using var lease = await server.AcquireAsync(c.RequestAborted).ConfigureAwait(false);
        if (!request.Sampling.Stream)
        {
            var response = await chat.GetResponseAsync(request.Messages, options, c.RequestAborted).ConfigureAwait(false);
            var usage = response.Usage;
            server.Record(id, "chat", (int)(usage?.InputTokenCount ?? 0), (int)(usage?.OutputTokenCount ?? 0), clock.Elapsed.TotalSeconds, clock);
            await Json(c, 200, w =>
            {
                w.WriteString("id", id);
                w.WriteString("object", "chat.completion");
                w.WriteNumber("created", created);
                w.WriteString("model", server.ModelId);
                w.WriteStartArray("choices");
                w.WriteStartObject();
                w.WriteNumber("index", 0);
                w.WriteStartObject("message");
                w.WriteString("role", "assistant");
                w.WriteString("content", response.Text);
                w.WriteNull("refusal");
                w.WriteEndObject();
                w.WriteNull("logprobs");
                w.WriteString("finish_reason", FinishReason(response.FinishReason));
                w.WriteEndObject();
                w.WriteEndArray();
                Usage(w, usage);
                w.WriteString("system_fingerprint", "minerva-native");
            }).ConfigureAwait(false);
            return;
        }

        await using var updates = chat.GetStreamingResponseAsync(request.Messages, options, c.RequestAborted).GetAsyncEnumerator(c.RequestAborted);
        bool more = await updates.MoveNextAsync().ConfigureAwait(false);   // errors before the first token are proper HTTP errors
        StartEvents(c);
        double firstToken = clock.Elapsed.TotalSeconds;
        await Event(c, Chunk(id, created, server.ModelId, "", role: true, null)).ConfigureAwait(false);
        UsageDetails? finalUsage = null;
        ChatFinishReason? finish = null;
        for (; more; more = await updates.MoveNextAsync().ConfigureAwait(false))
        {
            var u = updates.Current;
            finish ??= u.FinishReason;
            foreach (var usage in u.Contents.OfType<UsageContent>()) finalUsage = usage.Details;
            if (!string.IsNullOrEmpty(u.Text)) await Event(c, Chunk(id, created, server.ModelId, u.Text, role: false, null)).ConfigureAwait(false);
        }
        await Event(c, Chunk(id, created, server.ModelId, null, role: false, FinishReason(finish))).ConfigureAwait(false);
        if (request.Sampling.IncludeUsage) await Event(c, UsageChunk(id, created, server.ModelId, "chat.completion.chunk", finalUsage)).ConfigureAwait(false);
        await c.Response.WriteAsync("data: [DONE]\n\n", c.RequestAborted).ConfigureAwait(false);
        server.Record(id, "chat", (int)(finalUsage?.InputTokenCount ?? 0), (int)(finalUsage?.OutputTokenCount ?? 0), firstToken, clock);
    }

    private static async Task CompletionAsync(HttpContext c, MinervaServer server)
    {
        using var doc = await OpenAiRequests.ReadJsonAsync(c.Request.Body, c.RequestAborted).ConfigureAwait(false);
        var request = OpenAiRequests.ParseCompletion(doc.RootElement);
        var model = server.RequireModel();
        var s = request.Sampling;
        var tokenizer = model.Tokenizer;
        int[] prompt = tokenizer.Encode(request.Prompt, tokenizer.AddBos, parseSpecial: true);   // the caller writes the whole prompt
        int room = model.ContextLength - prompt.Length;
        if (room < 1) throw new ContextLengthExceededException($"the prompt ({prompt.Length} tokens) does not fit the context of {model.ContextLength} tokens");
        var options = Generation(s, room);
        string id = $"cmpl-{Guid.NewGuid():N}";
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var clock = Stopwatch.StartNew();
        using var lease = await server.AcquireAsync(c.RequestAborted).ConfigureAwait(false);
        using var session = model.CreateSession();
        int generated = 0;
        bool hitStop = false;
        double firstToken = 0;
        async IAsyncEnumerable<int> Counted()
        {
            await foreach (int t in session.GenerateTokensAsync(prompt, options, c.RequestAborted).ConfigureAwait(false))
            {
                if (generated++ == 0) firstToken = clock.Elapsed.TotalSeconds;
                yield return t;
            }
        }
        string Finish() => hitStop || generated < options.MaxTokens ? "stop" : "length";
        async IAsyncEnumerable<string> Pieces()
        {
            var decoder = new TokenTextDecoder(tokenizer);
            var stops = new StopStringFilter(options.StopStrings);
            await foreach (int token in Counted().ConfigureAwait(false))
            {
                var (emit, stop) = stops.Push(decoder.Append(token));
                if (emit.Length > 0) yield return emit;
                if (stop) { hitStop = true; yield break; }
            }
            string tail = stops.Flush(decoder.Flush());
            if (tail.Length > 0) yield return tail;
        }
        var pieces = Pieces();
        if (!s.Stream)
        {
            var text = new System.Text.StringBuilder();
            await foreach (string piece in pieces.ConfigureAwait(false)) text.Append(piece);
            server.Record(id, "completions", prompt.Length, generated, firstToken, clock);
            await Json(c, 200, w =>
            {
                w.WriteString("id", id);
                w.WriteString("object", "text_completion");
                w.WriteNumber("created", created);
                w.WriteString("model", server.ModelId);
                w.WriteStartArray("choices");
                w.WriteStartObject();
                w.WriteString("text", text.ToString());
                w.WriteNumber("index", 0);
                w.WriteNull("logprobs");
                w.WriteString("finish_reason", Finish());
                w.WriteEndObject();
                w.WriteEndArray();
                Usage(w, new UsageDetails { InputTokenCount = prompt.Length, OutputTokenCount = generated, TotalTokenCount = prompt.Length + generated });
            }).ConfigureAwait(false);
            return;
        }
        await using var stream = pieces.GetAsyncEnumerator(c.RequestAborted);
        bool more = await stream.MoveNextAsync().ConfigureAwait(false);
        StartEvents(c);
        for (; more; more = await stream.MoveNextAsync().ConfigureAwait(false))
            await Event(c, TextChunk(id, created, server.ModelId, stream.Current, null)).ConfigureAwait(false);
        await Event(c, TextChunk(id, created, server.ModelId, "", Finish())).ConfigureAwait(false);
        if (s.IncludeUsage)
            await Event(c, UsageChunk(id, created, server.ModelId, "text_completion",
                new UsageDetails { InputTokenCount = prompt.Length, OutputTokenCount = generated, TotalTokenCount = prompt.Length + generated })).ConfigureAwait(false);
        await c.Response.WriteAsync("data: [DONE]\n\n", c.RequestAborted).ConfigureAwait(false);
        server.Record(id, "completions", prompt.Length, generated, firstToken, clock);
    }

    private static async Task TokenizeAsync(HttpContext c, MinervaServer server)
    {
        using var doc = await OpenAiRequests.ReadJsonAsync(c.Request.Body, c.RequestAborted).ConfigureAwait(false);
        var root = doc.RootElement;
        string content = OpenAiRequests.String(root, "content", "") ?? throw new RequestException(400, "'content' is required", "content");
        bool addSpecial = OpenAiRequests.Bool(root, "add_special") ?? false;
        bool parseSpecial = OpenAiRequests.Bool(root, "parse_special") ?? true;
        var tokenizer = server.RequireModel().Tokenizer;
        int[] ids = tokenizer.Encode(content, addSpecial && tokenizer.AddBos, parseSpecial);
        await Json(c, 200, w =>
        {
            w.WriteStartArray("tokens");
            foreach (int id in ids) w.WriteNumberValue(id);
            w.WriteEndArray();
        }).ConfigureAwait(false);
    }

    private static async Task DetokenizeAsync(HttpContext c, MinervaServer server)
    {
        using var doc = await OpenAiRequests.ReadJsonAsync(c.Request.Body, c.RequestAborted).ConfigureAwait(false);
        var root = doc.RootElement;
        if (!root.TryGetProperty("tokens", out var tokens) || tokens.ValueKind != JsonValueKind.Array)
            throw new RequestException(400, "'tokens' must be a list of token ids", "tokens");
        var tokenizer = server.RequireModel().Tokenizer;
        var ids = new List<int>();
        foreach (var t in tokens.EnumerateArray())
        {
            if (t.ValueKind != JsonValueKind.Number || !t.TryGetInt32(out int id) || (uint)id >= (uint)tokenizer.VocabSize)
                throw new RequestException(400, $"'tokens' holds {t.GetRawText()}, not a token id below {tokenizer.VocabSize}", "tokens");
            ids.Add(id);
        }
        string text = tokenizer.Decode(ids);
        await Json(c, 200, w => w.WriteString("content", text)).ConfigureAwait(false);
    }

    private static ChatOptions ChatOptions(SamplingRequest s, string modelId)
    {
        var options = new ChatOptions
        {
            ModelId = modelId,
            MaxOutputTokens = s.MaxTokens,
            Temperature = s.Temperature,
            TopP = s.TopP,
            TopK = s.TopK,
            Seed = s.Seed,
        };
        if (s.Stop.Count > 0) options.StopSequences = [.. s.Stop];
        return options;
    }

    private static GenerationOptions Generation(SamplingRequest s, int room)
    {
        var o = new GenerationOptions { MaxTokens = Math.Min(s.MaxTokens ?? 16, room), StopStrings = s.Stop };
        if (s.Temperature is float t) o = o with { Temperature = t };
        if (s.TopP is float p) o = o with { TopP = p };
        if (s.TopK is int k) o = o with { TopK = k };
        if (s.Seed is long seed) o = o with { Seed = unchecked((ulong)seed) };
        return o;
    }

    private static string FinishReason(ChatFinishReason? reason) => reason == ChatFinishReason.Length ? "length" : "stop";

    private static void Usage(Utf8JsonWriter w, UsageDetails? usage)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", usage?.InputTokenCount ?? 0);
        w.WriteNumber("completion_tokens", usage?.OutputTokenCount ?? 0);
        w.WriteNumber("total_tokens", usage?.TotalTokenCount ?? (usage?.InputTokenCount ?? 0) + (usage?.OutputTokenCount ?? 0));
        w.WriteEndObject();
    }

    private static byte[] Chunk(string id, long created, string model, string? content, bool role, string? finish) => Write(w =>
    {
        w.WriteString("id", id);
        w.WriteString("object", "chat.completion.chunk");
        w.WriteNumber("created", created);
        w.WriteString("model", model);
        w.WriteString("system_fingerprint", "minerva-native");
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("delta");
        if (role) w.WriteString("role", "assistant");
        if (content is not null) w.WriteString("content", content);
        w.WriteEndObject();
        w.WriteNull("logprobs");
        if (finish is null) w.WriteNull("finish_reason"); else w.WriteString("finish_reason", finish);
        w.WriteEndObject();
        w.WriteEndArray();
    });

    private static byte[] TextChunk(string id, long created, string model, string text, string? finish) => Write(w =>
    {
        w.WriteString("id", id);
        w.WriteString("object", "text_completion");
        w.WriteNumber("created", created);
        w.WriteString("model", model);
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteString("text", text);
        w.WriteNumber("index", 0);
        w.WriteNull("logprobs");
        if (finish is null) w.WriteNull("finish_reason"); else w.WriteString("finish_reason", finish);
        w.WriteEndObject();
        w.WriteEndArray();
    });

    private static byte[] UsageChunk(string id, long created, string model, string kind, UsageDetails? usage) => Write(w =>
    {
        w.WriteString("id", id);
        w.WriteString("object", kind);
        w.WriteNumber("created", created);
        w.WriteString("model", model);
        w.WriteStartArray("choices");
        w.WriteEndArray();
        Usage(w, usage);
    });

    private static void StartEvents(HttpContext c)
    {
        c.Response.StatusCode = 200;
        c.Response.ContentType = "text/event-stream; charset=utf-8";
        c.Response.Headers.CacheControl = "no-cache";
    }

    private static async Task Event(HttpContext c, byte[] json)
    {
        await c.Response.Body.WriteAsync("data: "u8.ToArray(), c.RequestAborted).ConfigureAwait(false);
        await c.Response.Body.WriteAsync(json, c.RequestAborted).ConfigureAwait(false);
        await c.Response.Body.WriteAsync("\n\n"u8.ToArray(), c.RequestAborted).ConfigureAwait(false);
        await c.Response.Body.FlushAsync(c.RequestAborted).ConfigureAwait(false);
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, Compact))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return ms.ToArray();
    }

    private static Task Json(HttpContext c, int status, Action<Utf8JsonWriter> body)
    {
        c.Response.StatusCode = status;
        c.Response.ContentType = "application/json";
        return c.Response.Body.WriteAsync(Write(body), c.RequestAborted).AsTask();
    }

    private static Task Error(HttpContext c, int status, string message, string type, string? param, string? code) => Json(c, status, w =>
    {
        w.WriteStartObject("error");
        w.WriteString("message", message);
        w.WriteString("type", type);
        if (param is null) w.WriteNull("param"); else w.WriteString("param", param);
        if (code is null) w.WriteNull("code"); else w.WriteString("code", code);
        w.WriteEndObject();
    });
}
