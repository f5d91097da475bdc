// Streaming detokenizer: token pieces (llama_token_to_piece bytes) through one stateful UTF-8 decoder, so a character
// split over byte tokens (<0xE2><0x96><0x81>) comes out only once its last byte has arrived.
using System.Text;

namespace Minerva.Native.Tokenization;

/// <summary>
/// Turns generated token ids into text one at a time. Holds back the bytes of an unfinished UTF-8 character;
/// allocates nothing per token beyond the returned string. Not thread-safe (one per generation stream).
/// </summary>
public sealed class TokenTextDecoder
{
    private readonly LlamaTokenizer _tokenizer;
    private readonly bool _special;
    private readonly bool _stripLeadingSpace;
    private readonly Decoder _utf8 = new UTF8Encoding(false, false).GetDecoder();
    private char[] _chars = new char[64];
    private bool _first = true;

    /// <param name="tokenizer">The vocabulary the ids belong to.</param>
    /// <param name="stripLeadingSpace">Drop the leading space of the first piece (llama_detokenize's rule for
    /// vocabularies with <see cref="LlamaTokenizer.AddSpacePrefix"/>); the first token consumes the rule even if it prints nothing.</param>
    /// <param name="special">Print control tokens' text (e.g. "&lt;/s&gt;") instead of nothing.</param>
    public TokenTextDecoder(LlamaTokenizer tokenizer, bool stripLeadingSpace = false, bool special = false)
    {
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        _stripLeadingSpace = stripLeadingSpace && tokenizer.AddSpacePrefix;
        _special = special;
    }

    /// <summary>
    /// Feeds one token and returns the text it completes: empty while a character is still incomplete, otherwise
    /// the finished characters (possibly including ones begun by earlier tokens).
    /// </summary>
    public string Append(int token)
    {
        int n = Append(token, ref _chars);
        return n == 0 ? string.Empty : new string(_chars, 0, n);
    }

    /// <summary>Feeds one token and writes the completed characters to <paramref name="destination"/>; returns their count.</summary>
    public int Append(int token, Span<char> destination)
    {
        ReadOnlySpan<byte> piece = _tokenizer.TokenToPieceBytes(token, _special, _first && _stripLeadingSpace);
        _first = false;
        return _utf8.GetChars(piece, destination, flush: false);
    }

    /// <summary>Ends the stream: bytes of a character that never completed come out as U+FFFD.</summary>
    public string Flush()
    {
        Span<char> tail = stackalloc char[8];
        int n = _utf8.GetChars(ReadOnlySpan<byte>.Empty, tail, flush: true);
        return n == 0 ? string.Empty : new string(tail[..n]);
    }

    /// <summary>Forgets pending bytes and the first-token state, ready for a new stream.</summary>
    public void Reset()
    {
        _utf8.Reset();
        _first = true;
    }

    private int Append(int token, ref char[] buffer)
    {
        ReadOnlySpan<byte> piece = _tokenizer.TokenToPieceBytes(token, _special, _first && _stripLeadingSpace);
        _first = false;
        int needed = piece.Length + 4; // pending bytes of at most one earlier character
        if (buffer.Length < needed) buffer = new char[Math.Max(needed, buffer.Length * 2)];
        return _utf8.GetChars(piece, buffer, flush: false);
    }
}
