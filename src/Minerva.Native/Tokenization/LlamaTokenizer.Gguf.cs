// Vocabulary from GGUF metadata: the tokenizer.ggml.* keys written by llama.cpp's converters (gguf-py constants.py, llama-vocab.cpp load).
using Minerva.Native.Formats;
using Minerva.Native.Formats.Gguf;

namespace Minerva.Native.Tokenization;

public sealed partial class LlamaTokenizer
{
    /// <summary>
    /// Reads the tokenizer stored in a GGUF file. Only <c>tokenizer.ggml.model = "llama"</c> (SentencePiece-BPE) is
    /// supported; other models throw <see cref="NotSupportedException"/>, malformed metadata <see cref="ModelFormatException"/>.
    /// </summary>
    public static LlamaTokenizer FromGguf(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        string model = file.TryGetString("tokenizer.ggml.model", out string m) ? m : "";
        if (model != "llama")
            throw new NotSupportedException(
                $"{file.Path}: tokenizer model '{(model.Length == 0 ? "(missing)" : model)}' is not supported; only 'llama' " +
                "(SentencePiece BPE with byte fallback) is. GPT-2/tiktoken-style BPE ('gpt2', e.g. Llama 3), 'bert', 't5' and 'rwkv' vocabularies are not implemented.");

        string[] tokens = file.GetStringArray("tokenizer.ggml.tokens");
        float[] scores = file.TryGetFloat32Array("tokenizer.ggml.scores", out float[] s) ? s : new float[tokens.Length];
        TokenType[] types = new TokenType[tokens.Length];
        if (file.TryGetInt32Array("tokenizer.ggml.token_type", out int[] t))
        {
            if (t.Length != tokens.Length) throw Bad(file, $"tokenizer.ggml.token_type has {t.Length} entries for {tokens.Length} tokens");
            for (int i = 0; i < t.Length; i++) types[i] = (TokenType)t[i];
        }
        else Array.Fill(types, TokenType.Normal);
        if (scores.Length != tokens.Length) throw Bad(file, $"tokenizer.ggml.scores has {scores.Length} entries for {tokens.Length} tokens");

        // llama.cpp's SPM defaults: BOS 1, EOS 2, UNK 0, no PAD; add BOS, no EOS, add the space prefix.
        var vocabulary = new TokenizerVocabulary
        {
            Tokens = tokens,
            Scores = scores,
            Types = types,
            BosId = Id(file, "tokenizer.ggml.bos_token_id", 1, tokens.Length),
            EosId = Id(file, "tokenizer.ggml.eos_token_id", 2, tokens.Length),
            UnkId = Id(file, "tokenizer.ggml.unknown_token_id", 0, tokens.Length),
            PadId = Id(file, "tokenizer.ggml.padding_token_id", -1, tokens.Length),
            EotId = Id(file, "tokenizer.ggml.eot_token_id", -1, tokens.Length),
            AddBos = !file.TryGetBool("tokenizer.ggml.add_bos_token", out bool addBos) || addBos,
            AddEos = file.TryGetBool("tokenizer.ggml.add_eos_token", out bool addEos) && addEos,
            AddSpacePrefix = !file.TryGetBool("tokenizer.ggml.add_space_prefix", out bool prefix) || prefix,
            ChatTemplate = file.TryGetString("tokenizer.chat_template", out string tmpl) ? tmpl : null,
        };
        return new LlamaTokenizer(vocabulary);
    }

    /// <summary>Opens a GGUF file (a full model or a vocabulary-only file) and reads its tokenizer.</summary>
    public static LlamaTokenizer FromGguf(string path)
    {
        using GgufFile file = GgufFile.Open(path);
        return FromGguf(file);
    }

    // An id outside the vocabulary is ignored with a warning by llama.cpp (the special token is then absent).
    private static int Id(GgufFile file, string key, int fallback, int n)
    {
        if (!file.Metadata.ContainsKey(key)) return fallback;
        long id = file.Metadata.GetInt64(key);
        return id >= 0 && id < n ? (int)id : -1;
    }

    private static ModelFormatException Bad(GgufFile file, string reason) => new(file.Path, -1, reason);
}
