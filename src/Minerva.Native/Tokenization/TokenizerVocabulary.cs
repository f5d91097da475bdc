// A file-format-free SentencePiece vocabulary: token texts (with U+2581 for spaces), merge scores, types, special ids and flags (fields of llama.cpp's llama_vocab).
namespace Minerva.Native.Tokenization;

/// <summary>
/// Everything <see cref="LlamaTokenizer"/> needs, independent of where it was read from
/// (GGUF metadata, tokenizer.json or tokenizer.model). Special ids are -1 when absent.
/// </summary>
public sealed record TokenizerVocabulary
{
    /// <summary>Token texts indexed by id; spaces appear as U+2581 ("▁"), byte tokens as "&lt;0xXX&gt;".</summary>
    public required IReadOnlyList<string> Tokens { get; init; }

    /// <summary>Merge priority per token (higher merges first), the SentencePiece piece score.</summary>
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

    /// <summary>The model's Jinja chat template text, if it ships one.</summary>
    public string? ChatTemplate { get; init; }
}
