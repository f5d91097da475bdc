// Decoding: token pieces (llama_token_to_piece: U+2581 back to ' ' or the byte-to-unicode alphabet back to bytes, <0xXX>
// to the byte, control text only on request) concatenated as UTF-8 with llama_detokenize's leading-space, BOS/EOS and
// clean_spaces rules.
using System.Buffers;
using System.Text;

namespace Minerva.Native.Tokenization;

public sealed partial class LlamaTokenizer
{
    /// <summary>
    /// The UTF-8 bytes a token prints as, like <c>llama_token_to_piece</c>: control and unknown tokens are empty unless
    /// <paramref name="special"/>; with <paramref name="lstrip"/> one leading space is dropped.
    /// </summary>
    public ReadOnlySpan<byte> TokenToPieceBytes(int id, bool special = true, bool lstrip = false)
    {
        if ((uint)id >= (uint)_tokens.Length) throw new ArgumentOutOfRangeException(nameof(id), id, $"Token id outside the vocabulary of {_tokens.Length}.");
        if (!special && _types[id] is TokenType.Control or TokenType.Unknown) return default;
        ReadOnlySpan<byte> piece = _pieceBytes.AsSpan(_pieceOffsets[id], _pieceOffsets[id + 1] - _pieceOffsets[id]);
        if (lstrip && piece.Length > 0 && piece[0] == (byte)' ') piece = piece[1..];
        return piece;
    }

    /// <summary>A token's text (a lone byte token that is not a whole character decodes to U+FFFD).</summary>
    public string TokenToPiece(int id, bool special = true) => Encoding.UTF8.GetString(TokenToPieceBytes(id, special));

    /// <summary>
    /// Token ids back to text like <c>llama_detokenize(remove_special, unparse_special)</c>: the first piece loses its
    /// leading space when <see cref="AddSpacePrefix"/> is on (unless a removed BOS came first); control tokens print
    /// only with <paramref name="unparseSpecial"/>; <paramref name="removeSpecial"/> drops a leading BOS / trailing EOS
    /// when the vocabulary adds them; BPE vocabularies whose pre-tokenizer asks for it get llama.cpp's clean_spaces.
    /// </summary>
    public string Decode(IEnumerable<int> tokens, bool removeSpecial = false, bool unparseSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        int[] ids = tokens as int[] ?? [.. tokens];
        return Decode(ids.AsSpan(), removeSpecial, unparseSpecial);
    }

    /// <inheritdoc cref="Decode(IEnumerable{int}, bool, bool)"/>
    public string Decode(ReadOnlySpan<int> tokens, bool removeSpecial = false, bool unparseSpecial = false)
    {
        var writer = new ArrayBufferWriter<byte>(tokens.Length * 6 + 16);
        DecodeBytes(tokens, writer, removeSpecial, unparseSpecial);
        return Encoding.UTF8.GetString(writer.WrittenSpan);
    }

    /// <summary>The UTF-8 bytes of <see cref="Decode(ReadOnlySpan{int}, bool, bool)"/>, written to <paramref name="output"/>.</summary>
    public void DecodeBytes(ReadOnlySpan<int> tokens, IBufferWriter<byte> output, bool removeSpecial = false, bool unparseSpecial = false)
    {
        bool removeSpace = AddSpacePrefix;
        if (removeSpecial && AddBos && tokens.Length > 0 && tokens[0] == Bos)
        {
            removeSpace = false;
            tokens = tokens[1..];
        }
        if (removeSpecial && AddEos && tokens.Length > 0 && tokens[^1] == Eos) tokens = tokens[..^1];

        if (_pre is { CleanSpaces: true })
        {
            var text = new ArrayBufferWriter<byte>(tokens.Length * 6 + 16);
            AppendPieces(tokens, text, unparseSpecial, removeSpace);
            byte[] bytes = text.WrittenSpan.ToArray();
            int n = CleanSpaces(bytes);
            bytes.AsSpan(0, n).CopyTo(output.GetSpan(n));
            output.Advance(n);
        }
        else AppendPieces(tokens, output, unparseSpecial, removeSpace);
    }

    private void AppendPieces(ReadOnlySpan<int> tokens, IBufferWriter<byte> output, bool unparseSpecial, bool removeSpace)
    {
        foreach (int id in tokens)
        {
            ReadOnlySpan<byte> piece = TokenToPieceBytes(id, unparseSpecial, removeSpace);
            removeSpace = false;
            piece.CopyTo(output.GetSpan(piece.Length));
            output.Advance(piece.Length);
        }
    }
}
