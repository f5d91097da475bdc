// Byte-level BPE from a Hugging Face tokenizer.json as llama.cpp's convert_hf_to_gguf.py (get_vocab_base) turns it into
// a "gpt2" GGUF vocabulary: vocab by id, holes as [PADn] UNUSED, added tokens CONTROL (special or special-looking) or
// USER_DEFINED, merges "left right" in order, the pre-tokenizer recognised from pre_tokenizer, BOS from post_processor.
using System.Text.Json;
using Minerva.Native.Formats;

namespace Minerva.Native.Tokenization;

internal static partial class TokenizerJsonReader
{
    private static TokenizerVocabulary ReadByteLevel(JsonElement root, JsonElement model, string path)
    {
        string pre = TokenizerJsonPreTokenizers.Recognize(root, path);

        var texts = new Dictionary<int, string>();
        foreach (JsonProperty p in Required(model, "vocab", JsonValueKind.Object, path).EnumerateObject())
        {
            int id = p.Value.GetInt32();
            if (id < 0) throw new ModelFormatException(path, -1, $"negative id {id} for token '{p.Name}'");
            texts[id] = p.Name;
        }
        var added = new Dictionary<int, TokenType>();
        if (root.TryGetProperty("added_tokens", out JsonElement addedTokens) && addedTokens.ValueKind == JsonValueKind.Array)
            foreach (JsonElement a in addedTokens.EnumerateArray())
            {
                int id = a.GetProperty("id").GetInt32();
                string content = a.GetProperty("content").GetString() ?? "";
                bool special = a.TryGetProperty("special", out var sp) && sp.ValueKind == JsonValueKind.True;
                texts[id] = content;
                added[id] = special || LooksSpecial(content) ? TokenType.Control : TokenType.UserDefined;
            }

        int size = texts.Count == 0 ? 0 : texts.Keys.Max() + 1;
        var tokens = new string[size];
        var types = new TokenType[size];
        for (int i = 0; i < size; i++)
        {
            if (!texts.TryGetValue(i, out string? text)) (tokens[i], types[i]) = ($"[PAD{i}]", TokenType.Unused);
            else (tokens[i], types[i]) = (text, added.TryGetValue(i, out var type) ? type : TokenType.Normal);
        }

        JsonElement mergeList = Required(model, "merges", JsonValueKind.Array, path);
        var merges = new string[mergeList.GetArrayLength()];
        int rank = 0;
        foreach (JsonElement merge in mergeList.EnumerateArray())
        {
            (string left, string right) = ParseMerge(merge, rank, path);
            merges[rank++] = left + " " + right;
        }

        int bos = TemplateBos(root) is { } bosText && Array.IndexOf(tokens, bosText) is >= 0 and var b ? b : -1;
        return new TokenizerVocabulary
        {
            Tokens = tokens, Scores = new float[size], Types = types,
            Kind = TokenizerKind.Bpe, Merges = merges, PreTokenizer = pre,
            BosId = bos, EosId = -1, UnkId = -1, PadId = -1,
            AddBos = bos >= 0, AddEos = false, AddSpacePrefix = false,
        };
    }

    /// <summary>convert_hf_to_gguf.py's does_token_look_special: tokens such a converter marks CONTROL even when not special.</summary>
    private static bool LooksSpecial(string text) =>
        text is "<pad>" or "<mask>" or "<2mass>" or "[@BOS@]"
        || text.StartsWith("<|", StringComparison.Ordinal) && text.EndsWith("|>", StringComparison.Ordinal)
        || text.StartsWith("<｜", StringComparison.Ordinal) && text.EndsWith("｜>", StringComparison.Ordinal)
        || text.StartsWith("<unused", StringComparison.Ordinal) && text.EndsWith('>');

    /// <summary>The special token a TemplateProcessing post-processor puts first in a single sequence (Llama 3's BOS).</summary>
    private static string? TemplateBos(JsonElement root)
    {
        if (!root.TryGetProperty("post_processor", out var post) || post.ValueKind != JsonValueKind.Object) return null;
        IEnumerable<JsonElement> processors = post.TryGetProperty("processors", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray() : [post];
        foreach (JsonElement processor in processors)
            if (processor.TryGetProperty("type", out var type) && type.GetString() == "TemplateProcessing"
                && processor.TryGetProperty("single", out var single) && single.ValueKind == JsonValueKind.Array
                && single.GetArrayLength() > 1 && single[0].TryGetProperty("SpecialToken", out var first)
                && first.TryGetProperty("id", out var id))
                return id.GetString();
        return null;
    }
}
