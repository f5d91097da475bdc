// Encoding: special-token partition (llama_vocab::impl::tokenizer_st_partition), then per text fragment either the
// optional dummy space prefix, whitespace escaping and SentencePiece merging (SpmMerger), or byte-level BPE (EncodeBpe).
using System.Buffers;
using System.Text;

namespace Minerva.Native.Tokenization;

public sealed partial class LlamaTokenizer
{
    private const int TextId = -1, PlainTextId = -2;   // PlainTextId: a text fragment in which only user-defined tokens are parsed

    private readonly record struct Fragment(int TokenId, int Start, int Length)
    {
        public bool IsText => TokenId < 0;
    }

    /// <summary>
    /// Tokenises <paramref name="text"/> like <c>llama_tokenize(vocab, text, add_special: addBos, parse_special)</c>:
    /// with <paramref name="addBos"/> BOS is prepended when <see cref="AddBos"/> is set and EOS appended when
    /// <see cref="AddEos"/> is set; with <paramref name="parseSpecial"/> control-token texts such as "&lt;s&gt;" in the
    /// input become their ids (user-defined tokens always do).
    /// </summary>
    public int[] Encode(string text, bool addBos, bool parseSpecial = false)
    {
        var output = new List<int>(text.Length / 3 + 4);
        EncodeInto(text, addBos, parseSpecial, output);
        return [.. output];
    }

    /// <summary>
    /// Span-writing form of <see cref="Encode(string, bool, bool)"/>: returns the number of ids written, or the
    /// negated number needed when <paramref name="destination"/> is too small (nothing useful is written then).
    /// </summary>
    public int Encode(string text, Span<int> destination, bool addBos, bool parseSpecial = false)
    {
        var output = new List<int>(text.Length / 3 + 4);
        EncodeInto(text, addBos, parseSpecial, output);
        if (output.Count > destination.Length) return -output.Count;
        System.Runtime.InteropServices.CollectionsMarshal.AsSpan(output).CopyTo(destination);
        return output.Count;
    }

    /// <summary>
    /// <see cref="Encode(string, bool, bool)"/> with parseSpecial on, except inside <paramref name="plain"/> (sorted,
    /// disjoint spans, such as the messages' contents in a chat prompt), which is tokenized as with parseSpecial off; text
    /// on both sides of a span is encoded as one fragment, so without special-token text in the spans the ids are those of
    /// the plain parseSpecial tokenization.
    /// </summary>
    internal int[] EncodeWithPlainSpans(string text, IReadOnlyList<(int Start, int Length)> plain, bool addBos)
    {
        var output = new List<int>(text.Length / 3 + 4);
        EncodeInto(text, addBos, parseSpecial: true, output, plain);
        return [.. output];
    }

    private void EncodeInto(string text, bool addSpecial, bool parseSpecial, List<int> output, IReadOnlyList<(int Start, int Length)>? plain = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (addSpecial && AddBos)
        {
            if (Bos < 0) throw new InvalidOperationException("The vocabulary asks for BOS but has no BOS token.");
            output.Add(Bos);
        }

        bool prevSpecial = true; // the first text fragment gets the space prefix
        char[]? buffer = null;
        try
        {
            foreach (Fragment fragment in Partition(text, parseSpecial, plain))
            {
                if (!fragment.IsText)
                {
                    output.Add(fragment.TokenId);
                    prevSpecial = true;
                    continue;
                }
                if (Kind == TokenizerKind.Bpe)
                {
                    EncodeBpe(text.AsSpan(fragment.Start, fragment.Length), output);
                    continue;
                }
                int needed = fragment.Length + 1;
                if (buffer is null || buffer.Length < needed)
                {
                    if (buffer is not null) ArrayPool<char>.Shared.Return(buffer);
                    buffer = ArrayPool<char>.Shared.Rent(needed);
                }
                int n = Normalise(text.AsSpan(fragment.Start, fragment.Length), AddSpacePrefix && prevSpecial, buffer);
                SpmMerger.Encode(this, buffer.AsSpan(0, n), output);
                prevSpecial = false;
            }
        }
        finally
        {
            if (buffer is not null) ArrayPool<char>.Shared.Return(buffer);
        }

        if (addSpecial && AddEos)
        {
            if (Eos < 0) throw new InvalidOperationException("The vocabulary asks for EOS but has no EOS token.");
            output.Add(Eos);
        }
    }

    /// <summary>
    /// ' ' becomes U+2581, an optional one is put in front; lone surrogates become U+FFFD, which is what the UTF-8
    /// bytes llama.cpp receives from a .NET string hold.
    /// </summary>
    private static int Normalise(ReadOnlySpan<char> source, bool prefix, Span<char> destination)
    {
        int n = 0;
        if (prefix) destination[n++] = SpaceMark;
        for (int i = 0; i < source.Length; i++)
        {
            char c = source[i];
            if (c == ' ') c = SpaceMark;
            else if (char.IsHighSurrogate(c))
            {
                if (i + 1 < source.Length && char.IsLowSurrogate(source[i + 1]))
                {
                    destination[n++] = c;
                    destination[n++] = source[++i];
                    continue;
                }
                c = '\uFFFD';
            }
            else if (char.IsLowSurrogate(c)) c = '\uFFFD';
            destination[n++] = c;
        }
        return n;
    }

    /// <summary>
    /// Splits the text on special-token texts, longest token first, leftmost match first. Without
    /// <paramref name="parseSpecial"/>, and inside the <paramref name="plain"/> spans, only user-defined tokens split
    /// (control and unknown texts stay plain text); adjacent text fragments are joined at the end.
    /// </summary>
    private List<Fragment> Partition(string text, bool parseSpecial, IReadOnlyList<(int Start, int Length)>? plain)
    {
        var fragments = new List<Fragment>();
        if (text.Length == 0) return fragments;
        int at = 0;
        foreach ((int start, int length) in plain ?? [])
        {
            if (start < at || length < 0 || start + length > text.Length) throw new ArgumentException("plain spans must be sorted, disjoint and inside the text", nameof(plain));
            if (start > at) fragments.Add(new Fragment(TextId, at, start - at));
            if (length > 0) fragments.Add(new Fragment(PlainTextId, start, length));
            at = start + length;
        }
        if (at < text.Length) fragments.Add(new Fragment(TextId, at, text.Length - at));

        List<Fragment>? next = null;
        foreach (int index in _specialTrie.Occurring(text))
        {
            (int id, string special) = _special[index];
            bool userDefined = _types[id] == TokenType.UserDefined;
            if (!parseSpecial && !userDefined) continue;

            next ??= new List<Fragment>(fragments.Count + 2);
            next.Clear();
            foreach (Fragment f in fragments)
            {
                if (!f.IsText || f.TokenId == PlainTextId && !userDefined) { next.Add(f); continue; }
                int start = f.Start, end = f.Start + f.Length;
                while (start < end)
                {
                    int match = text.AsSpan(start, end - start).IndexOf(special.AsSpan(), StringComparison.Ordinal);
                    if (match < 0) break;
                    match += start;
                    if (match > start) next.Add(new Fragment(f.TokenId, start, match - start));
                    next.Add(new Fragment(id, match, special.Length));
                    start = match + special.Length;
                }
                if (start < end) next.Add(new Fragment(f.TokenId, start, end - start));
            }
            (fragments, next) = (next, fragments);
        }
        return plain is null ? fragments : JoinText(fragments);
    }

    private static List<Fragment> JoinText(List<Fragment> fragments)
    {
        var joined = new List<Fragment>(fragments.Count);
        foreach (Fragment f in fragments)
        {
            if (f.IsText && joined.Count > 0 && joined[^1].IsText)
                joined[^1] = new Fragment(TextId, joined[^1].Start, f.Start + f.Length - joined[^1].Start);
            else joined.Add(f.IsText ? f with { TokenId = TextId } : f);
        }
        return joined;
    }
}
