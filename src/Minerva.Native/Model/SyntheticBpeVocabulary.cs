// A deterministic byte-level BPE vocabulary of any size: the 256 byte tokens of GPT-2's byte-to-unicode alphabet, merges
// learned from a fixed sample by plain BPE training (most frequent adjacent pair first, within the family's pre-tokens),
// a model family's special tokens, and <|reserved_special_token_N|> control tokens up to the requested size.
using Minerva.Native.Tokenization;

namespace Minerva.Native.Model;

internal static partial class SyntheticBpeVocabulary
{
    /// <summary>The families: Llama 3 ("llama3", pre-tokenizer llama-bpe), Qwen2 ("qwen2"), SmolLM ("smollm"), GPT-2 ("gpt2").</summary>
    public static IReadOnlyList<string> Families { get; } = ["llama3", "qwen2", "smollm", "gpt2"];

    /// <summary>A vocabulary with everything a GGUF or tokenizer.json needs. Ids of absent specials are -1.</summary>
    public sealed record Vocabulary(string Family, string PreTokenizer, string[] Tokens, int[] Types, string[] Merges,
        int Bos, int Eos, int Pad, bool AddBos)
    {
        /// <summary>The same vocabulary as <see cref="LlamaTokenizer"/> reads it.</summary>
        public TokenizerVocabulary ToTokenizerVocabulary() => new()
        {
            Tokens = Tokens, Scores = new float[Tokens.Length], Types = [.. Types.Select(t => (TokenType)t)],
            Kind = TokenizerKind.Bpe, Merges = Merges, PreTokenizer = PreTokenizer,
            BosId = Bos, EosId = Eos, UnkId = -1, PadId = Pad, AddBos = AddBos, AddEos = false, AddSpacePrefix = false,
        };
    }

    /// <summary>The alphabet character a byte is written as, as a one-character token text.</summary>
    public static string ByteToken(byte b) => ByteLevel.ByteToChar[b].ToString();

    /// <summary>
    /// Builds the vocabulary of <paramref name="family"/> with exactly <paramref name="vocabSize"/> tokens: byte tokens,
    /// at most <paramref name="maxMerges"/> learned merges (fewer when the sample runs out of repeated pairs), the
    /// family's special tokens where the real models have them, and reserved control tokens as padding.
    /// </summary>
    public static Vocabulary Create(string family, int vocabSize, int maxMerges = 4096)
    {
        (string pre, string[] specials, bool specialsFirst, bool addBos) = family switch
        {
            "llama3" => ("llama-bpe", Llama3Specials(), false, true),
            "qwen2" => ("qwen2", ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], false, false),
            "smollm" => ("smollm", ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], true, false),
            "gpt2" => ("gpt-2", ["<|endoftext|>"], false, false),
            _ => throw new ArgumentException($"unknown BPE family '{family}' (one of: {string.Join(", ", Families)})", nameof(family)),
        };
        int room = vocabSize - 256 - specials.Length;
        if (room < 0) throw new ArgumentOutOfRangeException(nameof(vocabSize), $"a {family} vocabulary needs at least {256 + specials.Length} tokens");
        string[] merges = Train(pre, Math.Min(maxMerges, room));

        var tokens = new List<string>(vocabSize);
        var types = new List<int>(vocabSize);
        void Add(string text, TokenType type) { tokens.Add(text); types.Add((int)type); }
        if (specialsFirst) foreach (string s in specials) Add(s, TokenType.Control);
        for (int b = 0; b < 256; b++) Add(ByteToken((byte)OrderedByte(b)), TokenType.Normal);
        var seen = new HashSet<string>(tokens, StringComparer.Ordinal);
        foreach (string merge in merges)
        {
            string token = merge.Replace(" ", "");
            if (seen.Add(token)) Add(token, TokenType.Normal);
        }
        // Llama 3 keeps its 256 specials at the end (BOS = vocab - 256); the others put theirs after the BPE tokens.
        int firstPad = family == "llama3" ? 251 : 0;
        int padding = vocabSize - tokens.Count - (specialsFirst ? 0 : specials.Length);
        if (family == "llama3") for (int i = 0; i < padding; i++) Add($"<|reserved_special_token_{firstPad + i}|>", TokenType.Control);
        if (!specialsFirst) foreach (string s in specials) Add(s, TokenType.Control);
        if (family != "llama3") for (int i = 0; i < padding; i++) Add($"<|reserved_special_token_{firstPad + i}|>", TokenType.Control);

        int Id(string text) => tokens.IndexOf(text);
        return family switch
        {
            "llama3" => new(family, pre, [.. tokens], [.. types], merges, Id("<|begin_of_text|>"), Id("<|end_of_text|>"), -1, addBos),
            "gpt2" => new(family, pre, [.. tokens], [.. types], merges, Id("<|endoftext|>"), Id("<|endoftext|>"), -1, addBos),
            "qwen2" => new(family, pre, [.. tokens], [.. types], merges, Id("<|endoftext|>"), Id("<|im_end|>"), Id("<|endoftext|>"), addBos),
            _ => new(family, pre, [.. tokens], [.. types], merges, Id("<|im_start|>"), Id("<|im_end|>"), Id("<|im_end|>"), addBos),
        };
    }

    // GPT-2's byte token order: the 188 printable bytes in code point order, then the 68 remapped ones (Ā, ā, ...).
    private static readonly int[] ByteOrder = [.. Enumerable.Range(0, 256).OrderBy(b => ByteLevel.ByteToChar[b])];
    private static int OrderedByte(int index) => ByteOrder[index];

    /// <summary>Meta's Llama 3 block: 128000 begin_of_text, 128001 end_of_text, header ids at +6/+7, eot_id at +9.</summary>
    private static string[] Llama3Specials()
    {
        var block = new string[256];
        int reserved = 0;
        for (int i = 0; i < 256; i++)
            block[i] = i switch
            {
                0 => "<|begin_of_text|>",
                1 => "<|end_of_text|>",
                6 => "<|start_header_id|>",
                7 => "<|end_header_id|>",
                9 => "<|eot_id|>",
                _ => $"<|reserved_special_token_{reserved++}|>",
            };
        return block;
    }
}
