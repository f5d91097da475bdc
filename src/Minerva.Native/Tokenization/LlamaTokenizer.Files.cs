// Factories for Hugging Face files: tokenizer.json, SentencePiece tokenizer.model, and the tokenizer_config.json beside them
// (bos_token / eos_token / add_bos_token / add_eos_token / chat_template, as transformers reads them).
using Minerva.Native.Formats.SafeTensors;

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

    private static TokenizerVocabulary WithConfig(TokenizerVocabulary vocabulary, string? folder) =>
        HfTokenizerConfig.ReadBeside(folder) is { } config ? WithConfig(vocabulary, config) : vocabulary;

    // transformers' rules: a token named by text takes that text's id (unchanged when the vocabulary lacks it), null removes it.
    internal static TokenizerVocabulary WithConfig(TokenizerVocabulary vocabulary, HfTokenizerConfig config)
    {
        int IdOf(HfSpecialToken? token, int fallback)
        {
            if (token is not { } t) return fallback;
            if (t.ExplicitNull) return -1;
            for (int i = 0; i < vocabulary.Tokens.Count; i++)
                if (vocabulary.Tokens[i] == t.Text) return i;
            return fallback;
        }
        return vocabulary with
        {
            BosId = IdOf(config.BosToken, vocabulary.BosId),
            EosId = IdOf(config.EosToken, vocabulary.EosId),
            UnkId = IdOf(config.UnkToken, vocabulary.UnkId),
            PadId = IdOf(config.PadToken, vocabulary.PadId),
            AddBos = config.AddBosToken ?? vocabulary.AddBos,
            AddEos = config.AddEosToken ?? vocabulary.AddEos,
            ChatTemplate = config.ChatTemplate ?? vocabulary.ChatTemplate,
        };
    }
}
