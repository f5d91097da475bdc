// tokenizer_config.json beside a Hugging Face tokenizer: the special-token texts, add_bos/add_eos and the chat template,
// read as transformers reads them. The one reader of that file.
using System.Text.Json;

namespace Minerva.Native.Formats.SafeTensors;

/// <summary>
/// A special token as tokenizer_config.json names it: <see cref="Text"/> is the token's text (a string, or an AddedToken
/// object's "content"); <see cref="ExplicitNull"/> when the file says null (the token is absent).
/// </summary>
public readonly record struct HfSpecialToken(string? Text, bool ExplicitNull);

/// <summary>The fields of tokenizer_config.json the engine uses; null where the file does not say.</summary>
public sealed record HfTokenizerConfig
{
    public const string FileName = "tokenizer_config.json";

    public HfSpecialToken? BosToken { get; init; }
    public HfSpecialToken? EosToken { get; init; }
    public HfSpecialToken? UnkToken { get; init; }
    public HfSpecialToken? PadToken { get; init; }
    public bool? AddBosToken { get; init; }
    public bool? AddEosToken { get; init; }
    /// <summary>chat_template: the string, or from a list of named templates the one called "default" (else the first).</summary>
    public string? ChatTemplate { get; init; }

    /// <summary>Reads the file beside <paramref name="folder"/>'s tokenizer; null when there is none.</summary>
    public static HfTokenizerConfig? ReadBeside(string? folder)
    {
        string path = Path.Combine(folder ?? ".", FileName);
        return File.Exists(path) ? Read(path) : null;
    }

    /// <summary>Reads tokenizer_config.json; a malformed file or a field of the wrong type is a <see cref="ModelFormatException"/>.</summary>
    public static HfTokenizerConfig Read(string path)
    {
        using var doc = HfJson.Load(path);
        JsonElement root = doc.RootElement;
        HfSpecialToken? Token(string key)
        {
            if (!root.TryGetProperty(key, out var v)) return null;
            return v.ValueKind switch
            {
                JsonValueKind.Null => new HfSpecialToken(null, true),
                JsonValueKind.String => new HfSpecialToken(v.GetString(), false),
                JsonValueKind.Object when v.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String =>
                    new HfSpecialToken(c.GetString(), false),
                _ => throw new ModelFormatException(path, -1, $"'{key}' is {v.GetRawText()}, not a token text"),
            };
        }
        bool? Flag(string key) => root.Has(key, out _) ? root.Bool(path, key, false) : null;
        return new HfTokenizerConfig
        {
            BosToken = Token("bos_token"),
            EosToken = Token("eos_token"),
            UnkToken = Token("unk_token"),
            PadToken = Token("pad_token"),
            AddBosToken = Flag("add_bos_token"),
            AddEosToken = Flag("add_eos_token"),
            ChatTemplate = Template(path, root),
        };
    }

    private static string? Template(string path, JsonElement root)
    {
        if (!root.Has("chat_template", out var ct)) return null;
        if (ct.ValueKind == JsonValueKind.String) return ct.GetString();
        if (ct.ValueKind != JsonValueKind.Array) throw new ModelFormatException(path, -1, "'chat_template' is neither a string nor a list");
        // [{"name": "default", "template": "..."}, {"name": "tool_use", ...}]
        string? first = null;
        foreach (var entry in ct.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Object) continue;
            string? template = entry.Str(path, "template");
            if (entry.Str(path, "name") == "default") return template;
            first ??= template;
        }
        return first;
    }
}
