// OpenAI's request bodies (chat/completions, completions, tokenize, detokenize) read field by field from JSON, every
// wrong type or value a RequestException that becomes a 400 with OpenAI's error shape (the param it names included).
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Minerva.Native.Server;

/// <summary>A request the server refuses: HTTP status, OpenAI error type and code, and the parameter at fault.</summary>
internal sealed class RequestException(int status, string message, string? param = null, string type = "invalid_request_error", string? code = null)
    : Exception(message)
{
    public int Status { get; } = status;
    public string? Param { get; } = param;
    public string Type { get; } = type;
    public string? Code { get; } = code;
}

/// <summary>What generation settings a request asks for, common to chat and completions.</summary>
internal sealed record SamplingRequest(int? MaxTokens, float? Temperature, float? TopP, int? TopK, long? Seed, IReadOnlyList<string> Stop,
    bool Stream, bool IncludeUsage);

internal sealed record ChatRequest(string? Model, IReadOnlyList<ChatMessage> Messages, SamplingRequest Sampling);

internal sealed record CompletionRequest(string? Model, string Prompt, SamplingRequest Sampling);

internal static class OpenAiRequests
{
    /// <summary>Largest request body read (a long prompt is a few MB of JSON at most).</summary>
    public const int MaxBodyBytes = 16 << 20;

    public static async Task<JsonDocument> ReadJsonAsync(Stream body, CancellationToken cancellation)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = await body.ReadAsync(chunk, cancellation).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + n > MaxBodyBytes) throw new RequestException(413, $"the request body is larger than {MaxBodyBytes} bytes");
            buffer.Write(chunk, 0, n);
        }
        if (buffer.Length == 0) throw new RequestException(400, "the request body is empty: send a JSON object");
        try
        {
            var doc = JsonDocument.Parse(buffer.ToArray(), new JsonDocumentOptions { MaxDepth = 64 });
            if (doc.RootElement.ValueKind == JsonValueKind.Object) return doc;
            doc.Dispose();
            throw new RequestException(400, "the request body must be a JSON object");
        }
        catch (JsonException e)
        {
            throw new RequestException(400, $"the request body is not valid JSON: {e.Message}");
        }
    }

    public static ChatRequest ParseChat(JsonElement root)
    {
        if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind == JsonValueKind.Null)
            throw new RequestException(400, "'messages' is required", "messages");
        if (messages.ValueKind != JsonValueKind.Array) throw new RequestException(400, "'messages' must be an array", "messages");
        var list = new List<ChatMessage>();
        int i = 0;
        foreach (var m in messages.EnumerateArray())
        {
            string at = $"messages[{i++}]";
            if (m.ValueKind != JsonValueKind.Object) throw new RequestException(400, $"'{at}' must be an object", at);
            string role = String(m, "role", at) ?? throw new RequestException(400, $"'{at}.role' is required", $"{at}.role");
            ChatRole chatRole = role switch
            {
                "system" or "developer" => ChatRole.System,
                "user" => ChatRole.User,
                "assistant" => ChatRole.Assistant,
                _ => throw new RequestException(400, $"'{at}.role' is '{role}': expected system, developer, user or assistant", $"{at}.role"),
            };
            list.Add(new ChatMessage(chatRole, Content(m, at)));
        }
        if (list.Count == 0) throw new RequestException(400, "'messages' is empty: send at least one message", "messages");
        if (Int(root, "n") is int n && n != 1) throw new RequestException(400, "only n = 1 is supported", "n");
        return new ChatRequest(String(root, "model", ""), list, Sampling(root, Int(root, "max_completion_tokens") ?? Int(root, "max_tokens")));
    }

    public static CompletionRequest ParseCompletion(JsonElement root)
    {
        if (!root.TryGetProperty("prompt", out var p) || p.ValueKind == JsonValueKind.Null) throw new RequestException(400, "'prompt' is required", "prompt");
        string prompt = p.ValueKind switch
        {
            JsonValueKind.String => p.GetString()!,
            JsonValueKind.Array when p.GetArrayLength() == 1 && p[0].ValueKind == JsonValueKind.String => p[0].GetString()!,
            JsonValueKind.Array => throw new RequestException(400, "'prompt' as a list must hold exactly one string", "prompt"),
            _ => throw new RequestException(400, "'prompt' must be a string", "prompt"),
        };
        if (prompt.Length == 0) throw new RequestException(400, "'prompt' is empty", "prompt");
        if (Int(root, "n") is int n && n != 1) throw new RequestException(400, "only n = 1 is supported", "n");
        if (root.TryGetProperty("echo", out var echo) && echo.ValueKind == JsonValueKind.True)
            throw new RequestException(400, "'echo' is not supported", "echo");
        return new CompletionRequest(String(root, "model", ""), prompt, Sampling(root, Int(root, "max_tokens") ?? 16));
    }

    private static SamplingRequest Sampling(JsonElement root, int? maxTokens)
    {
        if (maxTokens is < 1) throw new RequestException(400, "'max_tokens' must be at least 1", "max_tokens");
        float? temperature = Number(root, "temperature", 0, 2);
        float? topP = Number(root, "top_p", 0, 1);
        int? topK = Int(root, "top_k");
        if (topK is < 0) throw new RequestException(400, "'top_k' must not be negative", "top_k");
        long? seed = root.TryGetProperty("seed", out var s) && s.ValueKind != JsonValueKind.Null
            ? s.ValueKind == JsonValueKind.Number && s.TryGetInt64(out long v) ? v : throw new RequestException(400, "'seed' must be an integer", "seed")
            : null;
        foreach (string penalty in (ReadOnlySpan<string>)["frequency_penalty", "presence_penalty"])
            if (Number(root, penalty, -2, 2) is float f && f != 0)
                throw new RequestException(400, $"'{penalty}' is not supported (this server has llama.cpp's repeat penalty only); leave it 0", penalty);
        var stop = new List<string>();
        if (root.TryGetProperty("stop", out var st) && st.ValueKind != JsonValueKind.Null)
        {
            if (st.ValueKind == JsonValueKind.String) stop.Add(st.GetString()!);
            else if (st.ValueKind == JsonValueKind.Array)
                foreach (var e in st.EnumerateArray())
                    stop.Add(e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new RequestException(400, "'stop' must hold strings", "stop"));
            else throw new RequestException(400, "'stop' must be a string or a list of strings", "stop");
            if (stop.Count > 4) throw new RequestException(400, "'stop' holds at most 4 strings", "stop");
            if (stop.Exists(x => x.Length == 0)) throw new RequestException(400, "'stop' strings must not be empty", "stop");
        }
        bool stream = Bool(root, "stream") ?? false;
        bool includeUsage = false;
        if (root.TryGetProperty("stream_options", out var so) && so.ValueKind != JsonValueKind.Null)
        {
            if (so.ValueKind != JsonValueKind.Object) throw new RequestException(400, "'stream_options' must be an object", "stream_options");
            includeUsage = Bool(so, "include_usage", "stream_options.include_usage") ?? false;
        }
        return new SamplingRequest(maxTokens, temperature, topP, topK, seed, stop, stream, includeUsage);
    }

    private static string Content(JsonElement m, string at)
    {
        if (!m.TryGetProperty("content", out var c) || c.ValueKind == JsonValueKind.Null) return "";
        if (c.ValueKind == JsonValueKind.String) return c.GetString()!;
        if (c.ValueKind != JsonValueKind.Array) throw new RequestException(400, $"'{at}.content' must be a string or a list of parts", $"{at}.content");
        var text = new System.Text.StringBuilder();
        foreach (var part in c.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object || String(part, "type", at) != "text")
                throw new RequestException(400, $"'{at}.content' parts must be {{\"type\": \"text\", \"text\": ...}}: this model reads text only", $"{at}.content");
            text.Append(String(part, "text", at) ?? "");
        }
        return text.ToString();
    }

    internal static string? String(JsonElement o, string key, string at)
    {
        if (!o.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        string name = at.Length == 0 ? key : $"{at}.{key}";
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw new RequestException(400, $"'{name}' must be a string", name);
    }

    internal static int? Int(JsonElement o, string key)
    {
        if (!o.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : throw new RequestException(400, $"'{key}' must be an integer", key);
    }

    internal static bool? Bool(JsonElement o, string key, string? name = null)
    {
        if (!o.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new RequestException(400, $"'{name ?? key}' must be true or false", name ?? key),
        };
    }

    private static float? Number(JsonElement o, string key, double min, double max)
    {
        if (!o.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number) throw new RequestException(400, $"'{key}' must be a number", key);
        double d = v.GetDouble();
        return d >= min && d <= max ? (float)d : throw new RequestException(400, $"'{key}' must be between {min} and {max}", key);
    }
}
