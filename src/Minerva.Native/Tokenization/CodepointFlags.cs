// Per-codepoint category flags as llama.cpp's unicode_cpt_flags (unicode.h, gen-unicode-data.py): one general category
// group \p{N} \p{L} \p{Z} \p{M} \p{P} \p{S} \p{C} from .NET's Unicode category, plus White_Space as \s; characters
// newer than llama.cpp's tables are unassigned, as there.
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Minerva.Native.Tokenization;

internal static class CodepointFlags
{
    public const int Undefined = 0x01, Number = 0x02, Letter = 0x04, Separator = 0x08, Accent = 0x10, Punctuation = 0x20, Symbol = 0x40, Control = 0x80;
    public const int Whitespace = 0x100;

    /// <summary>A position outside the piece being scanned: no flag set (llama.cpp's OUT_OF_RANGE / default flags).</summary>
    public const int OutOfRange = -1;

    private static readonly ushort[] Bmp = BuildBmp(); // [0x10000] flags of the Basic Multilingual Plane

    /// <summary>The flags of a code point (0..0x10FFFF); 0 for <see cref="OutOfRange"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Of(int cp) => (uint)cp < 0x10000 ? Bmp[cp] : cp < 0 ? 0 : OfSlow(cp);

    public static bool IsWhitespace(int cp) => (Of(cp) & Whitespace) != 0;
    public static bool IsLetter(int cp) => (Of(cp) & Letter) != 0;
    public static bool IsNumber(int cp) => (Of(cp) & Number) != 0;

    /// <summary>Unicode White_Space, the set Python's regex \s matches and llama.cpp's unicode_set_whitespace holds.</summary>
    private static bool IsWhiteSpaceProperty(int cp) => cp is >= 0x09 and <= 0x0D or 0x20 or 0x85 or 0xA0 or 0x1680
        or >= 0x2000 and <= 0x200A or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000;

    private static int OfSlow(int cp)
    {
        if (cp > 0x10FFFF || CodepointRanges.NewerThanLlamaCpp.Contains(cp)) return Undefined;
        int flags = CharUnicodeInfo.GetUnicodeCategory(cp) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => Letter,
            UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark => Accent,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => Number,
            UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => Separator,
            UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
                or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
                or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation => Punctuation,
            UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol
                or UnicodeCategory.OtherSymbol => Symbol,
            _ => Control, // Cc, Cf, Cs, Co and unassigned Cn are all \p{C}
        };
        return IsWhiteSpaceProperty(cp) ? flags | Whitespace : flags;
    }

    private static ushort[] BuildBmp()
    {
        var table = new ushort[0x10000];
        for (int c = 0; c < table.Length; c++) table[c] = (ushort)OfSlow(c);
        return table;
    }

    /// <summary>
    /// The code points of a .NET string as llama.cpp sees its UTF-8: a lone surrogate (which UTF-8 encodes as U+FFFD)
    /// becomes U+FFFD. Returns the count written to <paramref name="destination"/> (at least <paramref name="text"/>.Length long).
    /// </summary>
    public static int ToCodepoints(ReadOnlySpan<char> text, Span<int> destination)
    {
        int n = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                destination[n++] = char.ConvertToUtf32(c, text[++i]);
            else destination[n++] = char.IsSurrogate(c) ? 0xFFFD : c;
        }
        return n;
    }
}
