// Encoding: special-token partition (llama_vocab::impl::tokenizer_st_partition), then per text fragment either the
// optional dummy space prefix, whitespace escaping and SentencePiece merging (SpmMerger), or byte-level BPE (EncodeBpe).
using System.Buffers;
using System.Text;

namespace Minerva.Native.Tokenization;

public sealed partial class LlamaTokenizer
{
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

    private void EncodeInto(string text, bool addSpecial, bool parseSpecial, List<int> output)
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
            foreach (Fragment fragment in Partition(text, parseSpecial))
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
    /// <paramref name="parseSpecial"/> only user-defined tokens split (control and unknown texts stay plain text).
    /// </summary>
    private List<Fragment> Partition(string text, bool parseSpecial)
    {
        var fragments = new List<Fragment>();
        if (text.Length == 0) return fragments;
        fragments.Add(new Fragment(-1, 0, text.Length));

        List<Fragment>? next = null;
        foreach (int index in _specialTrie.Occurring(text))
        {
            (int id, string special) = _special[index];
            if (!parseSpecial && _types[id] != TokenType.UserDefined) continue;

            next ??= new List<Fragment>(fragments.Count + 2);
            next.Clear();
            foreach (Fragment f in fragments)
            {
                if (!f.IsText) { next.Add(f); continue; }
                int start = f.Start, end = f.Start + f.Length;
                while (start < end)
                {
                    int match = text.AsSpan(start, end - start).IndexOf(special.AsSpan(), StringComparison.Ordinal);
                    if (match < 0) break;
                    match += start;
                    if (match > start) next.Add(new Fragment(-1, start, match - start));
                    next.Add(new Fragment(id, match, special.Length));
                    start = match + special.Length;
                }
                if (start < end) next.Add(new Fragment(-1, start, end - start));
            }
            (fragments, next) = (next, fragments);
        }
        return fragments;
    }
}
