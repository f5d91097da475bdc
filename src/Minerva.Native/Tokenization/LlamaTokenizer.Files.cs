// Factories for Hugging Face files: tokenizer.json, SentencePiece tokenizer.model, and the tokenizer_config.json beside them
// (bos_token / eos_token / add_bos_token / add_eos_token / chat_template, as transformers reads them).
using System.Text.Json;

namespace Minerva.Native.Tokenization;

public sealed partial class LlamaTokenizer
{
    /// <summary>
    /// Reads a Hugging Face tokenizer.json (SentencePiece-style BPE with byte_fallback); settings from a
    /// tokenizer_config.json in the same folder are applied when it exists.
    /// </summary>
    public static LlamaTokenizer FromTokenizerJson(string path) =>
        new(WithConfig(TokenizerJsonReader.Read(path), Path.GetDirectoryName(Path.GetFullPath(path))));

    /// <summary>
    /// Reads a SentencePiece tokenizer.model (BPE type); settings from a tokenizer_config.json in the same folder are
    /// applied when it exists.
    /// </summary>
    public static LlamaTokenizer FromSentencePieceModel(string path) =>
        new(WithConfig(SentencePieceModelReader.Read(path), Path.GetDirectoryName(Path.GetFullPath(path))));

    private static TokenizerVocabulary WithConfig(TokenizerVocabulary vocabulary, string? folder)
    {
        string config = Path.Combine(folder ?? ".", "tokenizer_config.json");
        if (!File.Exists(config)) return vocabulary;
        using JsonDocument doc = TokenizerJsonReader.Parse(config);
        JsonElement root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) return vocabulary;

        int IdOf(string key, int fallback)
        {
            if (!root.TryGetProperty(key, out var v)) return fallback;
            string? text = v.ValueKind == JsonValueKind.String ? v.GetString()
                : v.ValueKind == JsonValueKind.Object && v.TryGetProperty("content", out var c) ? c.GetString() : null;
            if (text is null) return v.ValueKind == JsonValueKind.Null ? -1 : fallback;
            for (int i = 0; i < vocabulary.Tokens.Count; i++)
                if (vocabulary.Tokens[i] == text) return i;
            return fallback;
        }
        bool Flag(string key, bool fallback) =>
            root.TryGetProperty(key, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;

        string? template = vocabulary.ChatTemplate;
        if (root.TryGetProperty("chat_template", out var ct))
        {
            if (ct.ValueKind == JsonValueKind.String) template = ct.GetString();
            else if (ct.ValueKind == JsonValueKind.Array) // [{ "name": "default", "template": "..." }, ...]
                foreach (var named in ct.EnumerateArray())
                    if (named.TryGetProperty("name", out var n) && n.GetString() == "default" && named.TryGetProperty("template", out var tt))
                        template = tt.GetString();
        }

        return vocabulary with
        {
            BosId = IdOf("bos_token", vocabulary.BosId),
            EosId = IdOf("eos_token", vocabulary.EosId),
            UnkId = IdOf("unk_token", vocabulary.UnkId),
            PadId = IdOf("pad_token", vocabulary.PadId),
            AddBos = Flag("add_bos_token", vocabulary.AddBos),
            AddEos = Flag("add_eos_token", vocabulary.AddEos),
            ChatTemplate = template,
        };
    }
}
