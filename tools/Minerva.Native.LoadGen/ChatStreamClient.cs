// One client of an OpenAI-compatible server: a streaming, greedy chat completion (include_usage on) timed from the send
// to the first non-empty content delta (TTFT) and to the end of the stream; plus /tokenize and /v1/models helpers.
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Minerva.Native.LoadGen;

internal sealed class ChatStreamClient(HttpClient http, Uri baseUrl, string? apiKey, TimeSpan timeout)
{
    private readonly Uri _base = new(baseUrl.ToString().TrimEnd('/') + "/");

    /// <summary>An HttpClient for C concurrent streams: one connection per stream, no client-wide timeout (each request has its own).</summary>
    public static HttpClient CreateHttp() => new(new SocketsHttpHandler { MaxConnectionsPerServer = 1024, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>The request body: one user message, temperature 0, max_tokens, stream with usage.</summary>
    public static byte[] ChatBody(string? model, string userText, int maxTokens)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            if (model is not null) w.WriteString("model", model);
            w.WriteStartArray("messages");
            w.WriteStartObject();
            w.WriteString("role", "user");
            w.WriteString("content", userText);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteNumber("max_tokens", maxTokens);
            w.WriteNumber("temperature", 0);
            w.WriteBoolean("stream", true);
            w.WriteStartObject("stream_options");
            w.WriteBoolean("include_usage", true);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return ms.ToArray();
    }

    public async Task<RequestResult> SendAsync(byte[] body, int index, long levelStart, CancellationToken cancellation)
    {
        long t0 = Stopwatch.GetTimestamp();
        double startMs = ClosedLoop.Ms(levelStart, t0);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(timeout);
        double ttft = double.NaN;
        int chunks = 0;
        int? prompt = null, completion = null;
        string? finish = null;
        RequestResult Failed(string error) => RequestResult.Failed(index, startMs, ClosedLoop.Ms(t0, Stopwatch.GetTimestamp()), error);
        try
        {
            using var request = Request(HttpMethod.Post, "v1/chat/completions", body);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                return Failed($"HTTP {(int)response.StatusCode}: {ChatChunk.Short(await response.Content.ReadAsStringAsync(deadline.Token).ConfigureAwait(false))}");
            await using var stream = await response.Content.ReadAsStreamAsync(deadline.Token).ConfigureAwait(false);
            bool done = false;
            await foreach (string data in SseReader.ReadDataAsync(stream, deadline.Token).ConfigureAwait(false))
            {
                if (data == ChatChunk.Done) { done = true; break; }
                var chunk = ChatChunk.Parse(data);
                if (chunk.Error is { } error) return Failed("stream error: " + error);
                if (!string.IsNullOrEmpty(chunk.Content) && chunks++ == 0) ttft = ClosedLoop.Ms(t0, Stopwatch.GetTimestamp());
                finish ??= chunk.FinishReason;
                if (chunk.CompletionTokens is not null) (prompt, completion) = (chunk.PromptTokens, chunk.CompletionTokens);
            }
            if (!done) return Failed("the stream ended without data: [DONE]");
            double latency = ClosedLoop.Ms(t0, Stopwatch.GetTimestamp());
            return new RequestResult(index, startMs, ttft, latency, prompt ?? 0, completion ?? chunks, chunks, completion is not null, finish, null);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            return Failed($"no complete answer within {timeout.TotalSeconds:0} s");
        }
        catch (Exception e) when (e is HttpRequestException or IOException or JsonException)
        {
            return Failed($"{e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>The token count of <paramref name="text"/> by the server's /tokenize (llama-server's extension; no BOS).</summary>
    public async Task<int> CountTokensAsync(string text, CancellationToken cancellation = default)
    {
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["content"] = text, ["add_special"] = false });
        using var request = Request(HttpMethod.Post, "tokenize", body);
        using var response = await http.SendAsync(request, cancellation).ConfigureAwait(false);
        string json = await response.Content.ReadAsStringAsync(cancellation).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"POST /tokenize answered {(int)response.StatusCode} ({ChatChunk.Short(json)}): --prompt-tokens needs it; send --prompt TEXT instead");
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("tokens").GetArrayLength();
    }

    /// <summary>The first model id of GET /v1/models, or null when the server lists none.</summary>
    public async Task<string?> FirstModelIdAsync(CancellationToken cancellation = default)
    {
        using var request = Request(HttpMethod.Get, "v1/models", null);
        using var response = await http.SendAsync(request, cancellation).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) return null;
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellation).ConfigureAwait(false));
        return doc.RootElement.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array && data.GetArrayLength() > 0
            && data[0].TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
    }

    private HttpRequestMessage Request(HttpMethod method, string path, byte[]? body)
    {
        var request = new HttpRequestMessage(method, new Uri(_base, path));
        if (body is not null) request.Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" } } };
        if (apiKey is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return request;
    }
}
