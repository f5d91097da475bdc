// One chat.completion.chunk of an OpenAI stream, read leniently: choices[0].delta.content, choices[0].finish_reason,
// usage (the include_usage chunk), or an error object (llama-server and others send one as an event mid-stream).
using System.Text.Json;

namespace Minerva.Native.LoadGen;

internal sealed record ChatChunk(string? Content, string? FinishReason, int? PromptTokens, int? CompletionTokens, string? Error)
{
    /// <summary>The terminator OpenAI sends as the last event's data.</summary>
    public const string Done = "[DONE]";

    public static ChatChunk Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) return new(null, null, null, null, $"not a JSON object: {Short(json)}");
        if (root.TryGetProperty("error", out var error) && error.ValueKind != JsonValueKind.Null)
            return new(null, null, null, null, error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String
                ? m.GetString() : error.GetRawText());
        string? content = null, finish = null;
        if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0)
        {
            var choice = choices[0];
            if (choice.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object
                && delta.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String)
                content = c.GetString();
            if (choice.TryGetProperty("finish_reason", out var f) && f.ValueKind == JsonValueKind.String) finish = f.GetString();
        }
        int? prompt = null, completion = null;
        if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            prompt = Int(usage, "prompt_tokens");
            completion = Int(usage, "completion_tokens");
        }
        return new(content, finish, prompt, completion, null);
    }

    private static int? Int(JsonElement o, string key) =>
        o.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : null;

    internal static string Short(string s) => s.Length <= 200 ? s : s[..200] + "...";
}
