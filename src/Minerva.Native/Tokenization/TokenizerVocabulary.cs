// A file-format-free vocabulary: token texts, merge scores or ranked merges, types, special ids and flags (fields of llama.cpp's llama_vocab).
namespace Minerva.Native.Tokenization;

/// <summary>
/// Everything <see cref="LlamaTokenizer"/> needs, independent of where it was read from
/// (GGUF metadata, tokenizer.json or tokenizer.model). Special ids are -1 when absent.
/// </summary>
public sealed record TokenizerVocabulary
{
    /// <summary>
    /// Token texts indexed by id. SentencePiece: spaces as U+2581 ("▁"), byte tokens as "&lt;0xXX&gt;". Byte-level BPE:
    /// the UTF-8 bytes of the piece in GPT-2's byte-to-unicode alphabet ("Ġ" for a space), special tokens as plain text.
    /// </summary>
    public required IReadOnlyList<string> Tokens { get; init; }

    /// <summary>Merge priority per token (higher merges first), the SentencePiece piece score; unused (zeros) for BPE.</summary>
    public required IReadOnlyList<float> Scores { get; init; }

    /// <summary>Type per token.</summary>
    public required IReadOnlyList<TokenType> Types { get; init; }

    public int BosId { get; init; } = 1;
    public int EosId { get; init; } = 2;
    public int UnkId { get; init; } = 0;
    public int PadId { get; init; } = -1;
    /// <summary>End-of-turn id (e.g. &lt;|eot_id|&gt;), -1 to detect it from the token texts like llama.cpp.</summary>
    public int EotId { get; init; } = -1;

    public bool AddBos { get; init; } = true;
    public bool AddEos { get; init; }
    /// <summary>Prepend a space to text that starts the input or follows a special token (SentencePiece add_dummy_prefix).</summary>
    public bool AddSpacePrefix { get; init; } = true;

    /// <summary>SentencePiece or byte-level BPE.</summary>
    public TokenizerKind Kind { get; init; } = TokenizerKind.Spm;

    /// <summary>BPE merges as "left right" in rank order (rank = index), as in GGUF tokenizer.ggml.merges; null for SentencePiece.</summary>
    public IReadOnlyList<string>? Merges { get; init; }

    /// <summary>BPE pre-tokenizer name as in GGUF tokenizer.ggml.pre ("llama-bpe", "qwen2", "smollm", "gpt-2", ...); null means "default".</summary>
    public string? PreTokenizer { get; init; }

    /// <summary>The model's Jinja chat template text, if it ships one.</summary>
    public string? ChatTemplate { get; init; }
}
