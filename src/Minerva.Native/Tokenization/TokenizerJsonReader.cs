// Hugging Face tokenizer.json, model.type "BPE": with byte_fallback (the Llama / SentencePiece-converted layout) to a
// SentencePiece vocabulary whose merge ranks become scores (score = -rank of the first merge producing the token);
// without it, byte-level BPE (TokenizerJsonReader.ByteLevel.cs).
using System.Text.Json;
using System.Text.RegularExpressions;
using Minerva.Native.Formats;

namespace Minerva.Native.Tokenization;

internal static partial class TokenizerJsonReader
{
    [GeneratedRegex("^<0x[0-9A-Fa-f]{2}>$")]
    private static partial Regex ByteToken();

    /// <summary>
    /// Reads the vocabulary. llama.cpp's own converter (gguf-py LlamaHfVocab) writes -1000 for every score, which
    /// reduces SentencePiece merging to leftmost-first; ranking by merges instead reproduces the BPE order the
    /// tokenizer.json (and the tokenizer.model it was converted from) encodes.
    /// </summary>
    public static TokenizerVocabulary Read(string path)
    {
        using var doc = Parse(path);
        JsonElement root = doc.RootElement;
        if (!root.TryGetProperty("model", out JsonElement model) || model.ValueKind != JsonValueKind.Object)
            throw new ModelFormatException(path, -1, "no \"model\" object: not a tokenizer.json");
        string type = model.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "(missing)";
        bool byteFallback = model.TryGetProperty("byte_fallback", out var bf) && bf.ValueKind == JsonValueKind.True;
        if (type != "BPE")
            throw new NotSupportedException(
                $"{path}: tokenizer model '{type}' is not supported; only BPE is: SentencePiece-style with byte_fallback " +
                "(Llama 1/2, TinyLlama, Mistral v0.1) or byte-level (GPT-2, Llama 3, Qwen2, SmolLM).");
        if (!byteFallback) return ReadByteLevel(root, model, path);

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        int size = 0;
        foreach (JsonProperty p in Required(model, "vocab", JsonValueKind.Object, path).EnumerateObject())
        {
            int id = p.Value.GetInt32();
            if (id < 0) throw new ModelFormatException(path, -1, $"negative id {id} for token '{p.Name}'");
            vocab[p.Name] = id;
            size = Math.Max(size, id + 1);
        }
        var added = new List<(int Id, string Content, bool Special)>();
        if (root.TryGetProperty("added_tokens", out JsonElement addedTokens) && addedTokens.ValueKind == JsonValueKind.Array)
            foreach (JsonElement a in addedTokens.EnumerateArray())
            {
                int id = a.GetProperty("id").GetInt32();
                added.Add((id, a.GetProperty("content").GetString() ?? "", a.TryGetProperty("special", out var sp) && sp.ValueKind == JsonValueKind.True));
                size = Math.Max(size, id + 1);
            }

        var tokens = new string[size];
        var scores = new float[size];
        var types = new TokenType[size];
        for (int i = 0; i < size; i++) { tokens[i] = $"[PAD{i}]"; types[i] = TokenType.Unused; scores[i] = -1000f; }
        JsonElement merges = Required(model, "merges", JsonValueKind.Array, path);
        int mergeCount = merges.GetArrayLength();
        foreach ((string text, int id) in vocab)
        {
            tokens[id] = text;
            types[id] = ByteToken().IsMatch(text) ? TokenType.Byte : TokenType.Normal;
            scores[id] = types[id] == TokenType.Byte ? 0f : -(mergeCount + (float)id); // below every merge
        }

        int rank = 0;
        foreach (JsonElement merge in merges.EnumerateArray())
        {
            (string left, string right) = ParseMerge(merge, rank, path);
            if (vocab.TryGetValue(left + right, out int id) && scores[id] < -rank) scores[id] = -rank;
            rank++;
        }

        string? unkToken = model.TryGetProperty("unk_token", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
        foreach ((int id, string content, bool special) in added)
        {
            tokens[id] = content;
            types[id] = special ? TokenType.Control : TokenType.UserDefined;
            scores[id] = 0f;
        }
        if (unkToken is not null && vocab.TryGetValue(unkToken, out int unkId)) types[unkId] = TokenType.Unknown;

        return new TokenizerVocabulary
        {
            Tokens = tokens, Scores = scores, Types = types,
            UnkId = unkToken is not null && vocab.TryGetValue(unkToken, out int unk) ? unk : -1,
            BosId = vocab.TryGetValue("<s>", out int bos) ? bos : -1,
            EosId = vocab.TryGetValue("</s>", out int eos) ? eos : -1,
            AddSpacePrefix = AddsSpacePrefix(root),
        };
    }

    /// <summary>SentencePiece's dummy prefix appears as a Prepend("▁") normalizer or a prepending Metaspace pre-tokenizer.</summary>
    private static bool AddsSpacePrefix(JsonElement root)
    {
        bool? found = null;
        void Visit(JsonElement e)
        {
            if (e.ValueKind == JsonValueKind.Array) { foreach (var x in e.EnumerateArray()) Visit(x); return; }
            if (e.ValueKind != JsonValueKind.Object) return;
            string? type = e.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (type == "Prepend") found = true;
            else if (type == "Metaspace")
            {
                if (e.TryGetProperty("prepend_scheme", out var ps) && ps.ValueKind == JsonValueKind.String) found = ps.GetString() != "never";
                else if (e.TryGetProperty("add_prefix_space", out var ap)) found = ap.ValueKind == JsonValueKind.True;
            }
            foreach (string key in (string[])["normalizers", "pretokenizers"])
                if (e.TryGetProperty(key, out var list)) Visit(list);
        }
        if (root.TryGetProperty("normalizer", out var n)) Visit(n);
        if (root.TryGetProperty("pre_tokenizer", out var p)) Visit(p);
        return found ?? true;
    }

    private static (string Left, string Right) ParseMerge(JsonElement merge, int rank, string path) => merge.ValueKind switch
    {
        JsonValueKind.String => SplitMerge(merge.GetString()!, path),
        JsonValueKind.Array when merge.GetArrayLength() == 2 => (merge[0].GetString()!, merge[1].GetString()!),
        _ => throw new ModelFormatException(path, -1, $"merge #{rank} is neither \"a b\" nor [\"a\", \"b\"]"),
    };

    private static (string, string) SplitMerge(string merge, string path)
    {
        int space = merge.IndexOf(' ');
        if (space <= 0 || space == merge.Length - 1) throw new ModelFormatException(path, -1, $"malformed merge \"{merge}\"");
        return (merge[..space], merge[(space + 1)..]);
    }

    private static JsonElement Required(JsonElement obj, string name, JsonValueKind kind, string path) =>
        obj.TryGetProperty(name, out JsonElement e) && e.ValueKind == kind ? e
        : throw new ModelFormatException(path, -1, $"model.{name} is missing or not {(kind == JsonValueKind.Object ? "an object" : "an array")}");

    internal static JsonDocument Parse(string path)
    {
        try { return JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true }); }
        catch (JsonException e) { throw new ModelFormatException(path, e.BytePositionInLine ?? -1, $"invalid JSON: {e.Message}", e); }
    }
}
