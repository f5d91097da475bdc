// Tokenizer for Llama-family vocabularies following llama.cpp's llama_vocab: SentencePiece BPE (SPM: U+2581 spaces, dummy
// prefix, merging by score, byte fallback) or byte-level BPE (GPT-2 style: regex pre-tokenizer, ranked merges), one API.
using System.Globalization;

namespace Minerva.Native.Tokenization;

/// <summary>
/// Text to token ids and back for SentencePiece and byte-level BPE vocabularies, producing the same ids as llama.cpp's
/// <c>llama_tokenize</c> and the same bytes as <c>llama_detokenize</c>. Immutable and safe to share between threads.
/// </summary>
public sealed partial class LlamaTokenizer
{
    private const char SpaceMark = '\u2581';

    private readonly string[] _tokens;
    private readonly float[] _scores;
    private readonly TokenType[] _types;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly int[] _byteTokens;               // [256] id of <0xXX>, -1 when the vocabulary has none
    private readonly (int Id, string Text)[] _special; // CONTROL | USER_DEFINED | UNKNOWN, longest text first
    private readonly SpecialTokenTrie _specialTrie;    // over _special's texts
    private readonly bool[] _eog;                      // [vocab]
    private readonly byte[] _pieceBytes;               // all pieces, UTF-8, spaces unescaped, bytes decoded
    private readonly int[] _pieceOffsets;              // [vocab + 1] into _pieceBytes
    private readonly BpePreTokenizer? _pre;            // BPE only
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _mergeRanks; // "left right" -> rank, BPE only

    /// <summary>Builds a tokenizer from a vocabulary; throws <see cref="ArgumentException"/> when it is inconsistent.</summary>
    public LlamaTokenizer(TokenizerVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        int n = vocabulary.Tokens.Count;
        if (n == 0) throw new ArgumentException("The vocabulary has no tokens.", nameof(vocabulary));
        if (vocabulary.Scores.Count != n || vocabulary.Types.Count != n)
            throw new ArgumentException($"The vocabulary has {n} tokens but {vocabulary.Scores.Count} scores and {vocabulary.Types.Count} types.", nameof(vocabulary));

        _tokens = [.. vocabulary.Tokens];
        _scores = [.. vocabulary.Scores];
        _types = [.. vocabulary.Types];
        Vocabulary = vocabulary;
        Kind = vocabulary.Kind;
        var ranks = new Dictionary<string, int>(vocabulary.Merges?.Count ?? 0, StringComparer.Ordinal);
        if (Kind == TokenizerKind.Bpe)
        {
            _pre = BpePreTokenizer.Get(vocabulary.PreTokenizer);
            if (vocabulary.Merges is null) throw new ArgumentException("A BPE vocabulary needs its merges.", nameof(vocabulary));
            for (int rank = 0; rank < vocabulary.Merges.Count; rank++) ranks.TryAdd(MergeKey(vocabulary.Merges[rank]), rank);
        }
        _mergeRanks = ranks.GetAlternateLookup<ReadOnlySpan<char>>();

        var ids = new Dictionary<string, int>(n, StringComparer.Ordinal);
        for (int i = 0; i < n; i++) ids[_tokens[i]] = i; // a repeated text maps to its last id, as token_to_id does
        _lookup = ids.GetAlternateLookup<ReadOnlySpan<char>>();

        Bos = CheckId(vocabulary.BosId, n, "BOS");
        Eos = CheckId(vocabulary.EosId, n, "EOS");
        Unk = CheckId(vocabulary.UnkId, n, "UNK");
        Pad = CheckId(vocabulary.PadId, n, "PAD");
        AddBos = vocabulary.AddBos;
        AddEos = vocabulary.AddEos;
        AddSpacePrefix = vocabulary.AddSpacePrefix;
        ChatTemplate = vocabulary.ChatTemplate;

        _eog = new bool[n];
        Eot = MarkSpecialTokens(CheckId(vocabulary.EotId, n, "EOT"), ids);

        _byteTokens = new int[256];
        for (int b = 0; b < 256; b++)
        {
            if (Kind == TokenizerKind.Bpe || !ids.TryGetValue($"<0x{b:X2}>", out int id) && !(b < 0x80 && ids.TryGetValue(((char)b).ToString(), out id))) id = -1;
            _byteTokens[b] = id;
        }

        var special = new List<(int, string)>();
        for (int i = 0; i < n; i++)
            if (_types[i] is TokenType.Control or TokenType.UserDefined or TokenType.Unknown && _tokens[i].Length > 0)
                special.Add((i, _tokens[i]));
        _special = [.. special.OrderByDescending(s => System.Text.Encoding.UTF8.GetByteCount(s.Item2)).ThenBy(s => s.Item1)];
        _specialTrie = new SpecialTokenTrie([.. _special.Select(s => s.Text)]);

        (_pieceBytes, _pieceOffsets) = BuildPieces();
    }

    /// <summary>The vocabulary this tokenizer was built from.</summary>
    public TokenizerVocabulary Vocabulary { get; }
    public int VocabSize => _tokens.Length;
    /// <summary>SentencePiece or byte-level BPE.</summary>
    public TokenizerKind Kind { get; }
    /// <summary>The BPE pre-tokenizer name (tokenizer.ggml.pre), null for SentencePiece.</summary>
    public string? PreTokenizer => _pre?.Name;
    /// <summary>Beginning-of-sequence id, -1 when the vocabulary has none.</summary>
    public int Bos { get; }
    /// <summary>End-of-sequence id, -1 when the vocabulary has none.</summary>
    public int Eos { get; }
    /// <summary>Unknown-token id, -1 when the vocabulary has none.</summary>
    public int Unk { get; }
    /// <summary>Padding id, -1 when the vocabulary has none.</summary>
    public int Pad { get; }
    /// <summary>End-of-turn id (given or detected by its text), -1 when there is none.</summary>
    public int Eot { get; }
    /// <summary>Whether <see cref="Encode(string, bool, bool)"/> with addBos prepends BOS (tokenizer.ggml.add_bos_token).</summary>
    public bool AddBos { get; }
    /// <summary>Whether <see cref="Encode(string, bool, bool)"/> with addBos appends EOS (tokenizer.ggml.add_eos_token).</summary>
    public bool AddEos { get; }
    /// <summary>SentencePiece: a space goes in front of text that starts the input or follows a special token; decoding
    /// drops the first piece's leading space. BPE vocabularies have it off unless the GGUF says otherwise.</summary>
    public bool AddSpacePrefix { get; }
    /// <summary>The model's Jinja chat template, if any (use with <see cref="Tokenization.ChatTemplate.Apply"/>).</summary>
    public string? ChatTemplate { get; }

    /// <summary>Whether generation should stop at this token (EOS, EOT and the end-of-turn texts llama.cpp knows).</summary>
    public bool IsEog(int id) => (uint)id < (uint)_eog.Length && _eog[id];

    public TokenType GetTokenType(int id) => _types[id];
    /// <summary>The raw vocabulary text of a token (SentencePiece: spaces as U+2581; BPE: the byte-to-unicode alphabet).</summary>
    public string GetTokenText(int id) => _tokens[id];
    public float GetScore(int id) => _scores[id];

    internal float Score(int id) => _scores[id];

    internal int LookupPiece(ReadOnlySpan<char> text) => _lookup.TryGetValue(text, out int id) ? id : -1;

    /// <summary>The rank of merging "left right" (its index in the merges), -1 when it is no merge.</summary>
    internal int MergeRank(ReadOnlySpan<char> leftSpaceRight) => _mergeRanks.TryGetValue(leftSpaceRight, out int rank) ? rank : -1;

    // llama.cpp splits a merge at the first space after its first character; a line without one is the pair ("", "").
    private static string MergeKey(string merge)
    {
        int space = merge.Length > 1 ? merge.IndexOf(' ', 1) : -1;
        return space < 0 ? " " : merge;
    }

    internal int ByteToToken(byte b)
    {
        int id = _byteTokens[b];
        if (id < 0) throw new InvalidOperationException($"The vocabulary has no byte token <0x{b:X2}> to spell an unknown character with.");
        return id;
    }

    private static int CheckId(int id, int n, string name)
    {
        if (id < -1 || id >= n) throw new ArgumentException($"{name} id {id} is outside the vocabulary of {n} tokens.");
        return id;
    }

    private (byte[] Bytes, int[] Offsets) BuildPieces()
    {
        var offsets = new int[_tokens.Length + 1];
        var bytes = new List<byte>(_tokens.Length * 8);
        for (int i = 0; i < _tokens.Length; i++)
        {
            offsets[i] = bytes.Count;
            string text = _tokens[i];
            switch (_types[i])
            {
                case TokenType.Control or TokenType.Unknown or TokenType.UserDefined:
                    bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(text));
                    break;
                case TokenType.Normal when Kind == TokenizerKind.Bpe:
                    ByteLevel.Decode(text, bytes);
                    break;
                case TokenType.Normal:
                    bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(text.Replace(SpaceMark, ' ')));
                    break;
                case TokenType.Byte:
                    bytes.Add(ParseByteToken(text));
                    break;
                default: // UNUSED / UNDEFINED print as nothing, like llama_token_to_piece
                    break;
            }
        }
        offsets[^1] = bytes.Count;
        return ([.. bytes], offsets);
    }

    private static byte ParseByteToken(string text)
    {
        // "<0xXX>": llama.cpp's token_to_byte reads the two hex digits at offset 3.
        if (text.Length == 6 && text.StartsWith("<0x", StringComparison.Ordinal) &&
            byte.TryParse(text.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b))
            return b;
        if (text.Length == 1 && text[0] < 0x80) return (byte)text[0];
        throw new ArgumentException($"Byte token '{text}' is not of the form <0xXX>.");
    }
}
