// A deterministic SentencePiece-style vocabulary of any size: <unk>, <s>, </s>, 256 byte-fallback tokens, then pieces
// ("▁" word starts, single characters, and letter n-grams) with scores that decrease with the index, as SPM's do.
using System.Text;

namespace Minerva.Native.Model;

public static class SyntheticVocabulary
{
    public const int Unknown = 0, Bos = 1, Eos = 2;
    // SentencePiece token types as GGUF stores them (tokenizer.ggml.token_type).
    public const int TypeNormal = 1, TypeUnknown = 2, TypeControl = 3, TypeByte = 6;

    public sealed record Vocabulary(string[] Tokens, float[] Scores, int[] Types);

    public static Vocabulary Create(int size)
    {
        if (size < 3 + 256 + 100) throw new ArgumentOutOfRangeException(nameof(size), "a synthetic vocabulary needs at least 359 tokens");
        var tokens = new List<string>(size) { "<unk>", "<s>", "</s>" };
        var types = new List<int>(size) { TypeUnknown, TypeControl, TypeControl };
        for (int b = 0; b < 256; b++) { tokens.Add($"<0x{b:X2}>"); types.Add(TypeByte); }

        var seen = new HashSet<string>(tokens);
        void Add(string piece)
        {
            if (tokens.Count < size && seen.Add(piece)) { tokens.Add(piece); types.Add(TypeNormal); }
        }
        const string space = "\u2581";
        Add(space);
        foreach (string word in CommonWords) Add(space + word);
        for (char c = ' '; c <= '~'; c++) if (c != ' ') Add(c.ToString());
        const string letters = "etaoinshrdlucmfwypvbgkjqxz";
        foreach (char a in letters) Add(space + a);
        foreach (char a in letters) foreach (char b in letters) Add($"{a}{b}");
        foreach (char a in letters) foreach (char b in letters) Add($"{space}{a}{b}");
        foreach (char a in letters) foreach (char b in letters) foreach (char c in letters) Add($"{a}{b}{c}");
        foreach (char a in letters) foreach (char b in letters) foreach (char c in letters) Add($"{space}{a}{b}{c}");
        for (int n = 0; tokens.Count < size; n++) Add($"{space}w{n}");

        var scores = new float[size];
        for (int i = 0; i < size; i++) scores[i] = types[i] == TypeNormal ? -(i - 259) : 0f;
        return new Vocabulary([.. tokens], scores, [.. types]);
    }

    private static readonly string[] CommonWords =
    [
        "the", "of", "and", "to", "in", "is", "you", "that", "it", "he", "was", "for", "on", "are", "as", "with", "his",
        "they", "at", "be", "this", "have", "from", "or", "one", "had", "by", "word", "but", "not", "what", "all", "were",
        "we", "when", "your", "can", "said", "there", "use", "an", "each", "which", "she", "do", "how", "their", "if",
        "will", "up", "other", "about", "out", "many", "then", "them", "these", "so", "some", "her", "would", "make",
        "like", "him", "into", "time", "has", "look", "two", "more", "write", "go", "see", "number", "no", "way", "could",
        "people", "my", "than", "first", "water", "been", "call", "who", "oil", "its", "now", "find", "long", "down",
        "day", "did", "get", "come", "made", "may", "part", "Hello", "world", "Once", "upon", "story",
    ];

    /// <summary>The UTF-8 bytes of a piece, with "▁" turned back into a space (for tests and tools).</summary>
    public static byte[] PieceBytes(string piece) => Encoding.UTF8.GetBytes(piece.Replace('\u2581', ' '));
}
