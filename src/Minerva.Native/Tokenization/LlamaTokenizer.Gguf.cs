// Vocabulary from GGUF metadata: the tokenizer.ggml.* keys written by llama.cpp's converters (gguf-py constants.py, llama-vocab.cpp load).
using Minerva.Native.Formats;
using Minerva.Native.Formats.Gguf;

namespace Minerva.Native.Tokenization;

public sealed partial class LlamaTokenizer
{
    /// <summary>
    /// Reads the tokenizer stored in a GGUF file: <c>tokenizer.ggml.model</c> "llama" (SentencePiece BPE) or "gpt2"
    /// (byte-level BPE with the pre-tokenizer named by <c>tokenizer.ggml.pre</c>). Other models and unknown
    /// pre-tokenizers throw <see cref="NotSupportedException"/>, malformed metadata <see cref="ModelFormatException"/>.
    /// </summary>
    public static LlamaTokenizer FromGguf(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        string model = file.TryGetString("tokenizer.ggml.model", out string m) ? m : "";
        if (model is not ("llama" or "gpt2"))
            throw new NotSupportedException(
                $"{file.Path}: tokenizer model '{(model.Length == 0 ? "(missing)" : model)}' is not supported; only 'llama' " +
                "(SentencePiece BPE with byte fallback) and 'gpt2' (byte-level BPE) are. 'bert', 't5', 'rwkv' and 'plamo2' vocabularies are not implemented.");
        bool bpe = model == "gpt2";

        string[] tokens = file.GetStringArray("tokenizer.ggml.tokens");
        float[] scores = file.TryGetFloat32Array("tokenizer.ggml.scores", out float[] s) ? s : new float[tokens.Length];
        TokenType[] types = new TokenType[tokens.Length];
        if (file.TryGetInt32Array("tokenizer.ggml.token_type", out int[] t))
        {
            if (t.Length != tokens.Length) throw Bad(file, $"tokenizer.ggml.token_type has {t.Length} entries for {tokens.Length} tokens");
            for (int i = 0; i < t.Length; i++) types[i] = t[i] is >= 1 and <= 6 ? (TokenType)t[i] : TokenType.Undefined;
        }
        else Array.Fill(types, TokenType.Normal);
        if (scores.Length != tokens.Length) throw Bad(file, $"tokenizer.ggml.scores has {scores.Length} entries for {tokens.Length} tokens");

        string[]? merges = null;
        string? pre = null;
        bool addBosDefault = true;
        if (bpe)
        {
            if (!file.TryGetStringArray("tokenizer.ggml.merges", out merges)) throw Bad(file, "a 'gpt2' tokenizer needs tokenizer.ggml.merges");
            pre = file.TryGetString("tokenizer.ggml.pre", out string p) && p.Length > 0 ? p : "default";
            addBosDefault = BpePreTokenizer.Get(pre, file.Path).AddBos;
        }

        // llama.cpp's defaults: SPM BOS 1, EOS 2, UNK 0, add BOS and the space prefix; BPE BOS = EOS = 11, no UNK, BOS
        // only for the Llama 3 pre-tokenizers, no space prefix. The GGUF keys override them.
        var vocabulary = new TokenizerVocabulary
        {
            Tokens = tokens,
            Scores = scores,
            Types = types,
            Kind = bpe ? TokenizerKind.Bpe : TokenizerKind.Spm,
            Merges = merges,
            PreTokenizer = pre,
            BosId = Id(file, "tokenizer.ggml.bos_token_id", bpe ? 11 : 1, tokens.Length),
            EosId = Id(file, "tokenizer.ggml.eos_token_id", bpe ? 11 : 2, tokens.Length),
            UnkId = Id(file, "tokenizer.ggml.unknown_token_id", bpe ? -1 : 0, tokens.Length),
            PadId = Id(file, "tokenizer.ggml.padding_token_id", -1, tokens.Length),
            EotId = Id(file, "tokenizer.ggml.eot_token_id", -1, tokens.Length),
            AddBos = file.TryGetBool("tokenizer.ggml.add_bos_token", out bool addBos) ? addBos : addBosDefault,
            AddEos = file.TryGetBool("tokenizer.ggml.add_eos_token", out bool addEos) && addEos,
            AddSpacePrefix = file.TryGetBool("tokenizer.ggml.add_space_prefix", out bool prefix) ? prefix : !bpe,
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
