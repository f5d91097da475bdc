// A synthetic BPE vocabulary as GGUF tokenizer.ggml.* keys (the "gpt2" layout llama.cpp's converter writes) and as a
// Hugging Face tokenizer.json (BPE model, added_tokens, the family's pre_tokenizer, ByteLevel decoder).
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Minerva.Native.Formats.Gguf;
using Minerva.Native.Tokenization;

namespace Minerva.Native.Model;

internal static partial class SyntheticBpeVocabulary
{
    /// <summary>Adds the tokenizer keys (model "gpt2", pre, tokens, types, merges, special ids, add_bos) to a GGUF.</summary>
    public static void AddToGguf(GgufWriter w, Vocabulary v, string? chatTemplate = null) =>
        GgufLlamaMetadata.AddBpeTokenizer(w, v.PreTokenizer, v.Tokens, v.Types, v.Merges, v.Bos, v.Eos, v.Pad, v.AddBos, chatTemplate);

    /// <summary>
    /// Writes tokenizer.json: NORMAL tokens in model.vocab, every other token in added_tokens (special), merges as
    /// "a b" strings or, with <paramref name="mergesAsPairs"/>, as [a, b] pairs (tokenizers 0.20 and later).
    /// </summary>
    public static void WriteTokenizerJson(Vocabulary v, string path, bool mergesAsPairs = false)
    {
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteString("version", "1.0");
        json.WriteNull("truncation");
        json.WriteNull("padding");
        json.WriteStartArray("added_tokens");
        for (int id = 0; id < v.Tokens.Length; id++)
        {
            if (v.Types[id] == (int)TokenType.Normal) continue;
            json.WriteStartObject();
            json.WriteNumber("id", id);
            json.WriteString("content", v.Tokens[id]);
            json.WriteBoolean("single_word", false);
            json.WriteBoolean("lstrip", false);
            json.WriteBoolean("rstrip", false);
            json.WriteBoolean("normalized", false);
            json.WriteBoolean("special", v.Types[id] == (int)TokenType.Control);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteNull("normalizer");
        json.WritePropertyName("pre_tokenizer");
        TokenizerJsonPreTokenizers.Write(v.PreTokenizer).WriteTo(json);
        json.WritePropertyName("post_processor");
        PostProcessor(v).WriteTo(json);
        json.WritePropertyName("decoder");
        new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true }.WriteTo(json);

        json.WriteStartObject("model");
        json.WriteString("type", "BPE");
        json.WriteNull("dropout");
        json.WriteNull("unk_token");
        json.WriteNull("continuing_subword_prefix");
        json.WriteNull("end_of_word_suffix");
        json.WriteBoolean("fuse_unk", false);
        json.WriteBoolean("byte_fallback", false);
        json.WriteBoolean("ignore_merges", v.PreTokenizer == "llama-bpe");
        json.WriteStartObject("vocab");
        for (int id = 0; id < v.Tokens.Length; id++)
            if (v.Types[id] == (int)TokenType.Normal) json.WriteNumber(v.Tokens[id], id);
        json.WriteEndObject();
        json.WriteStartArray("merges");
        foreach (string merge in v.Merges)
        {
            if (!mergesAsPairs) { json.WriteStringValue(merge); continue; }
            int space = merge.IndexOf(' ');
            json.WriteStartArray();
            json.WriteStringValue(merge[..space]);
            json.WriteStringValue(merge[(space + 1)..]);
            json.WriteEndArray();
        }
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>Llama 3 adds BOS through a TemplateProcessing post-processor; the others only undo ByteLevel offsets.</summary>
    private static JsonObject PostProcessor(Vocabulary v)
    {
        var byteLevel = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = false, ["use_regex"] = true };
        if (!v.AddBos || v.Bos < 0) return byteLevel;
        string bos = v.Tokens[v.Bos];
        JsonObject Special() => new() { ["SpecialToken"] = new JsonObject { ["id"] = bos, ["type_id"] = 0 } };
        JsonObject Seq(string id, int type) => new() { ["Sequence"] = new JsonObject { ["id"] = id, ["type_id"] = type } };
        var template = new JsonObject
        {
            ["type"] = "TemplateProcessing",
            ["single"] = new JsonArray(Special(), Seq("A", 0)),
            ["pair"] = new JsonArray(Special(), Seq("A", 0), Special(), Seq("B", 1)),
            ["special_tokens"] = new JsonObject
            {
                [bos] = new JsonObject { ["id"] = bos, ["ids"] = new JsonArray(v.Bos), ["tokens"] = new JsonArray(bos) },
            },
        };
        return new JsonObject { ["type"] = "Sequence", ["processors"] = new JsonArray(byteLevel, template) };
    }

    /// <summary>tokenizer.json as a string (small vocabularies, tests).</summary>
    public static string ToTokenizerJson(Vocabulary v, bool mergesAsPairs = false)
    {
        string temp = Path.GetTempFileName();
        try
        {
            WriteTokenizerJson(v, temp, mergesAsPairs);
            return File.ReadAllText(temp, Encoding.UTF8);
        }
        finally { File.Delete(temp); }
    }
}
