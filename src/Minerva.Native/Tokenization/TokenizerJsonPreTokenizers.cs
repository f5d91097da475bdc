// Which llama.cpp pre-tokenizer a Hugging Face tokenizer.json pre_tokenizer is: the Split regexes that llama.cpp's
// convert_hf_to_gguf.py knows (Llama 3, Qwen2), SmolLM's Digits + ByteLevel and GPT-2's plain ByteLevel; nothing else.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Minerva.Native.Tokenization;

internal static class TokenizerJsonPreTokenizers
{
    public const string Llama3Regex =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    public const string Qwen2Regex =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    // llama.cpp's rewriting of the case-insensitive group, accepted too.
    private const string CaseFolded = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";

    /// <summary>The tokenizer.ggml.pre name for a tokenizer.json pre_tokenizer; throws <see cref="NotSupportedException"/> for any other.</summary>
    public static string Recognize(JsonElement root, string path)
    {
        JsonElement pre = root.TryGetProperty("pre_tokenizer", out var p) ? p : default;
        var steps = new List<JsonElement>();
        if (pre.ValueKind == JsonValueKind.Object && Type(pre) == "Sequence" && pre.TryGetProperty("pretokenizers", out var list))
            steps.AddRange(list.EnumerateArray());
        else if (pre.ValueKind == JsonValueKind.Object) steps.Add(pre);

        string?[] types = [.. steps.Select(Type)];
        string? name = types switch
        {
            ["ByteLevel"] when UsesRegex(steps[0]) && !PrefixSpace(steps[0]) => "gpt-2",
            ["Split", "ByteLevel"] when !UsesRegex(steps[1]) && !PrefixSpace(steps[1]) && IsolatedSplit(steps[0]) is { } regex =>
                Normalize(regex) switch
                {
                    Llama3Regex => "llama-bpe",
                    Qwen2Regex => "qwen2",
                    _ => null,
                },
            ["Digits", "ByteLevel"] when IndividualDigits(steps[0]) && UsesRegex(steps[1]) && !PrefixSpace(steps[1]) => "smollm",
            _ => null,
        };
        return name ?? throw new NotSupportedException(
            $"{path}: byte-level BPE pre_tokenizer {(pre.ValueKind == JsonValueKind.Undefined ? "(missing)" : Summary(pre))} is not one llama.cpp's " +
            "pre-tokenizers supported here match: Split(Llama 3 regex) + ByteLevel (llama-bpe), Split(Qwen2 regex) + ByteLevel (qwen2), " +
            "Digits(individual) + ByteLevel (smollm), or ByteLevel alone (gpt-2).");
    }

    private static string? Type(JsonElement e) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;

    private static bool Flag(JsonElement e, string name, bool fallback) =>
        e.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;

    private static bool UsesRegex(JsonElement byteLevel) => Flag(byteLevel, "use_regex", true);
    private static bool PrefixSpace(JsonElement byteLevel) => Flag(byteLevel, "add_prefix_space", false);
    private static bool IndividualDigits(JsonElement digits) => Flag(digits, "individual_digits", false);

    private static string? IsolatedSplit(JsonElement split)
    {
        if (split.TryGetProperty("behavior", out var b) && b.GetString() != "Isolated") return null;
        if (Flag(split, "invert", false)) return null;
        return split.TryGetProperty("pattern", out var pattern) && pattern.TryGetProperty("Regex", out var regex) ? regex.GetString() : null;
    }

    private static string Normalize(string regex) =>
        regex.StartsWith(CaseFolded, StringComparison.Ordinal) ? "(?i:'s|'t|'re|'ve|'m|'ll|'d)" + regex[CaseFolded.Length..] : regex;

    private static string Summary(JsonElement e)
    {
        string text = JsonNode.Parse(e.GetRawText())!.ToJsonString();
        return text.Length > 300 ? text[..300] + "..." : text;
    }

    /// <summary>The pre_tokenizer (and matching ByteLevel post-processing) tokenizer.json holds for a supported name.</summary>
    public static JsonObject Write(string name) => name switch
    {
        "gpt-2" => ByteLevel(useRegex: true),
        "llama-bpe" or "llama3" or "llama-v3" => Sequence(Split(Llama3Regex), ByteLevel(useRegex: false)),
        "qwen2" => Sequence(Split(Qwen2Regex), ByteLevel(useRegex: false)),
        "smollm" => Sequence(new JsonObject { ["type"] = "Digits", ["individual_digits"] = true }, ByteLevel(useRegex: true)),
        _ => throw new NotSupportedException($"no tokenizer.json form for pre-tokenizer '{name}' (gpt-2, llama-bpe, qwen2, smollm)"),
    };

    private static JsonObject ByteLevel(bool useRegex) =>
        new() { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = useRegex };

    private static JsonObject Split(string regex) => new()
    {
        ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = regex }, ["behavior"] = "Isolated", ["invert"] = false,
    };

    private static JsonObject Sequence(params JsonNode[] steps) => new() { ["type"] = "Sequence", ["pretokenizers"] = new JsonArray(steps) };
}
