// The pre-tokenizer regexes of llama.cpp's llm_tokenizer_bpe as hand-written scanners over code points: the custom GPT-2
// and Llama 3 splitters of unicode.cpp (unicode_regex_split_custom_gpt2 / _llama3), and the std::regex fallbacks it
// runs for the other expressions (same leftmost-first matches; text between matches kept as its own piece).
using static Minerva.Native.Tokenization.CodepointFlags;

namespace Minerva.Native.Tokenization;

/// <summary>Splits one piece (a span of code points) into sub-pieces, appending their lengths.</summary>
internal delegate void BpeSplitStage(ReadOnlySpan<int> piece, List<int> lengths);

internal static class BpeSplitters
{
    private static int Cp(ReadOnlySpan<int> s, int i) => (uint)i < (uint)s.Length ? s[i] : OutOfRange;
    private static int F(ReadOnlySpan<int> s, int i) => (uint)i < (uint)s.Length ? Of(s[i]) : 0;

    // Ends the current piece at `end` (an empty piece is dropped): the length it had.
    private static int Cut(List<int> lengths, ref int prevEnd, int end)
    {
        int len = end - prevEnd;
        if (len > 0) lengths.Add(len);
        prevEnd = end;
        return len;
    }

    // 's 't 'm 'd (2) or 're 've 'll (3) at pos, case-insensitively for Llama 3's (?i:...) group; 0 when none.
    private static int Contraction(ReadOnlySpan<int> s, int pos, bool ignoreCase)
    {
        if (s[pos] != '\'' || pos + 1 >= s.Length) return 0;
        int next = ignoreCase ? AsciiLower(s[pos + 1]) : s[pos + 1];
        if (next is 's' or 't' or 'm' or 'd') return 2;
        if (pos + 2 >= s.Length) return 0;
        int next2 = ignoreCase ? AsciiLower(s[pos + 2]) : s[pos + 2];
        return next == 'r' && next2 == 'e' || next == 'v' && next2 == 'e' || next == 'l' && next2 == 'l' ? 3 : 0;
    }

    /// <summary>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ (the GPT-2 regex).</summary>
    public static void Gpt2(ReadOnlySpan<int> s, List<int> lengths)
    {
        int n = s.Length, prevEnd = 0;
        int Add(int end) => Cut(lengths, ref prevEnd, end);
        for (int pos = 0; pos < n;)
        {
            int cpt = s[pos], flags = Of(cpt);
            if (Contraction(s, pos, ignoreCase: false) is int c and > 0) { pos += Add(pos + c); continue; }
            int flags2 = cpt == ' ' ? F(s, pos + 1) : flags;
            if ((flags2 & Letter) != 0)
            {
                if (cpt == ' ') pos++;
                while ((flags2 & Letter) != 0) flags2 = F(s, ++pos);
                Add(pos);
                continue;
            }
            if ((flags2 & Number) != 0)
            {
                if (cpt == ' ') pos++;
                while ((flags2 & Number) != 0) flags2 = F(s, ++pos);
                Add(pos);
                continue;
            }
            if ((flags2 & (Whitespace | Letter | Number)) == 0 && flags2 != 0)
            {
                if (cpt == ' ') pos++;
                while ((flags2 & (Whitespace | Letter | Number)) == 0 && flags2 != 0) flags2 = F(s, ++pos);
                Add(pos);
                continue;
            }
            int spaces = 0;
            while ((F(s, pos + spaces) & Whitespace) != 0) spaces++;
            if (spaces > 1 && Cp(s, pos + spaces) != OutOfRange) { pos += spaces - 1; Add(pos); continue; }
            if (spaces > 0) { pos += spaces; Add(pos); continue; }
            Add(++pos);
        }
    }

    /// <summary>
    /// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,<paramref name="maxDigits"/>}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
    /// Llama 3's regex with maxDigits 3 (llama.cpp's custom splitter); Qwen2's with 1 (llama.cpp runs that one through
    /// std::regex, where it matches the same pieces: every position matches one alternative, so no text falls between).
    /// </summary>
    public static void Llama3(ReadOnlySpan<int> s, List<int> lengths, int maxDigits)
    {
        int n = s.Length, prevEnd = 0;
        int Add(int end) => Cut(lengths, ref prevEnd, end);
        for (int pos = 0; pos < n;)
        {
            int cpt = s[pos], flags = Of(cpt);
            if (Contraction(s, pos, ignoreCase: true) is int c and > 0) { pos += Add(pos + c); continue; }
            if (!(cpt == '\r' || cpt == '\n' || (flags & Number) != 0) && ((flags & Letter) != 0 || (F(s, pos + 1) & Letter) != 0))
            {
                pos++;
                while ((F(s, pos) & Letter) != 0) pos++;
                Add(pos);
                continue;
            }
            if ((flags & Number) != 0)
            {
                int ini = pos;
                while ((F(s, pos) & Number) != 0)
                    if (++pos - ini >= maxDigits) { Add(pos); ini = pos; }
                Add(pos);
                continue;
            }
            int flags2 = cpt == ' ' ? F(s, pos + 1) : flags;
            if ((flags2 & (Whitespace | Letter | Number)) == 0 && flags != 0)
            {
                if (cpt == ' ') pos++;
                while ((flags2 & (Whitespace | Letter | Number)) == 0 && flags2 != 0) flags2 = F(s, ++pos);
                while (Cp(s, pos) is '\r' or '\n') pos++;
                Add(pos);
                continue;
            }
            int spaces = 0, lastNewlineEnd = 0;
            while ((F(s, pos + spaces) & Whitespace) != 0)
            {
                if (s[pos + spaces] is '\r' or '\n') lastNewlineEnd = pos + spaces + 1;
                spaces++;
            }
            if (lastNewlineEnd > 0) { pos = lastNewlineEnd; Add(pos); continue; }
            if (spaces > 1 && Cp(s, pos + spaces) != OutOfRange) { pos += spaces - 1; Add(pos); continue; }
            if (spaces > 0) { pos += spaces; Add(pos); continue; }
            Add(++pos);
        }
    }

    // unicode_tolower of the character after an apostrophe: only A-Z lower to the ASCII letters the contractions test.
    private static int AsciiLower(int cp) => cp is >= 'A' and <= 'Z' ? cp + 32 : cp;

    /// <summary>A std::regex_iterator pass: the match length at a position (0 for none), matches taken leftmost first.</summary>
    private delegate int Matcher(ReadOnlySpan<int> s, int pos);

    private static void SplitByMatches(ReadOnlySpan<int> s, List<int> lengths, Matcher match)
    {
        int gapStart = 0;
        for (int pos = 0; pos < s.Length;)
        {
            int len = match(s, pos);
            if (len == 0) { pos++; continue; }
            if (pos > gapStart) lengths.Add(pos - gapStart);
            lengths.Add(len);
            pos += len;
            gapStart = pos;
        }
        if (s.Length > gapStart) lengths.Add(s.Length - gapStart);
    }

    private static int RunLength(ReadOnlySpan<int> s, int pos, Func<int, bool> inClass)
    {
        int end = pos;
        while (end < s.Length && inClass(s[end])) end++;
        return end - pos;
    }

    /// <summary>\p{N}: every number character alone.</summary>
    public static void EachNumber(ReadOnlySpan<int> s, List<int> lengths) =>
        SplitByMatches(s, lengths, static (s, p) => IsNumber(s[p]) ? 1 : 0);

    /// <summary>\p{N}+</summary>
    public static void NumberRuns(ReadOnlySpan<int> s, List<int> lengths) =>
        SplitByMatches(s, lengths, static (s, p) => RunLength(s, p, IsNumber));

    /// <summary>[\p{P}\$\+&lt;=&gt;\^~\|]+ (llama.cpp's default pre-tokenizer; \p{P} of an ASCII character is its fixed list).</summary>
    public static void PunctuationRuns(ReadOnlySpan<int> s, List<int> lengths) =>
        SplitByMatches(s, lengths, static (s, p) => RunLength(s, p, IsDefaultPunctuation));

    private static bool IsDefaultPunctuation(int cp) =>
        cp < 128 ? "!\"#%&'()*,-./:;?@[\\]_{}$+<=>^~|".Contains((char)cp) : (Of(cp) & (Punctuation | Whitespace)) == Punctuation;

    /// <summary>[0-9][0-9][0-9]</summary>
    public static void AsciiDigitTriples(ReadOnlySpan<int> s, List<int> lengths) =>
        SplitByMatches(s, lengths, static (s, p) => p + 3 <= s.Length && IsAsciiDigit(s[p]) && IsAsciiDigit(s[p + 1]) && IsAsciiDigit(s[p + 2]) ? 3 : 0);

    private static bool IsAsciiDigit(int cp) => cp is >= '0' and <= '9';

    // std::wregex sees the code points with every non-ASCII White_Space character replaced by U+000B, and its \s (the
    // "C" locale's) is exactly the six ASCII spaces.
    private static int Wide(int cp) => cp > 0x7F && IsWhitespace(cp) ? 0x0B : cp;
    private static bool WideSpace(int cp) => Wide(cp) is >= 0x09 and <= 0x0D or 0x20;

    /// <summary>[\r\n]</summary>
    public static void EachNewline(ReadOnlySpan<int> s, List<int> lengths) =>
        SplitByMatches(s, lengths, static (s, p) => s[p] is '\r' or '\n' ? 1 : 0);

    /// <summary>\s?[class]+ over the wide-character view.</summary>
    private static int SpaceThenRun(ReadOnlySpan<int> s, int p, CodepointRanges inClass)
    {
        if (WideSpace(s[p]) && p + 1 < s.Length && inClass.Contains(Wide(s[p + 1])))
            return 1 + WideRunLength(s, p + 1, inClass);
        return WideRunLength(s, p, inClass);
    }

    private static int WideRunLength(ReadOnlySpan<int> s, int pos, CodepointRanges inClass)
    {
        int end = pos;
        while (end < s.Length && inClass.Contains(Wide(s[end]))) end++;
        return end - pos;
    }

    /// <summary>DeepSeek LLM's \s?[A-Za-zµÀ-ÖØ-öø-ƺ...𞤀-𞥃]+ (cased letters of many scripts).</summary>
    public static void DeepseekLetters(ReadOnlySpan<int> s, List<int> lengths) =>
        SplitByMatches(s, lengths, static (s, p) => SpaceThenRun(s, p, CodepointRanges.DeepseekLetters));

    /// <summary>DeepSeek LLM's \s?[!-/:-~！-／：-～‘-‟　-。]+</summary>
    public static void DeepseekPunctuation(ReadOnlySpan<int> s, List<int> lengths) =>
        SplitByMatches(s, lengths, static (s, p) => SpaceThenRun(s, p, CodepointRanges.DeepseekPunctuation));

    /// <summary>\s+$: the piece's trailing spaces, when it ends in some.</summary>
    public static void TrailingSpaces(ReadOnlySpan<int> s, List<int> lengths)
    {
        int start = s.Length;
        while (start > 0 && WideSpace(s[start - 1])) start--;
        if (start > 0) lengths.Add(start);
        if (start < s.Length) lengths.Add(s.Length - start);
    }

    /// <summary>DeepSeek LLM's [一-龥ࠀ-一가-퟿]+</summary>
    public static void DeepseekCjk(ReadOnlySpan<int> s, List<int> lengths) =>
        SplitByMatches(s, lengths, static (s, p) => WideRunLength(s, p, CodepointRanges.DeepseekCjk));
}
