// GPT-2's byte-to-unicode alphabet (bytes_to_unicode; llama.cpp unicode_byte_to_utf8_map / unicode_utf8_to_byte_map):
// printable Latin-1 bytes map to themselves, the other 68 bytes to U+0100.. in byte order; and llama_decode_text's inverse.
using System.Text;

namespace Minerva.Native.Tokenization;

internal static class ByteLevel
{
    /// <summary>[256] the character each byte is written as; every one is a single BMP code point (U+0021..U+0143).</summary>
    public static readonly char[] ByteToChar = BuildByteToChar();

    private static readonly short[] CharToByte = BuildCharToByte(); // [0x144] byte of a character, -1 when none

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        var direct = new bool[256];
        for (int b = 0x21; b <= 0x7E; b++) direct[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) direct[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) direct[b] = true;
        int n = 0;
        for (int b = 0; b < 256; b++) map[b] = direct[b] ? (char)b : (char)(256 + n++);
        return map;
    }

    private static short[] BuildCharToByte()
    {
        var inverse = new short[0x144];
        Array.Fill(inverse, (short)-1);
        for (int b = 0; b < 256; b++) inverse[ByteToChar[b]] = (short)b;
        return inverse;
    }

    /// <summary>The byte a code point stands for in the alphabet, -1 when it is not one of the 256.</summary>
    public static int ToByte(int cp) => (uint)cp < (uint)CharToByte.Length ? CharToByte[cp] : -1;

    /// <summary>
    /// Writes the UTF-8 bytes of <paramref name="codepoints"/> as alphabet characters (unicode_byte_encoding_process);
    /// returns the count. <paramref name="destination"/> needs 4 characters per code point.
    /// </summary>
    public static int Encode(ReadOnlySpan<int> codepoints, Span<char> destination)
    {
        int n = 0;
        Span<byte> utf8 = stackalloc byte[4];
        foreach (int cp in codepoints)
        {
            int len = new Rune(cp).EncodeToUtf8(utf8);
            for (int i = 0; i < len; i++) destination[n++] = ByteToChar[utf8[i]];
        }
        return n;
    }

    /// <summary>
    /// A token's bytes from its alphabet text (llama_decode_text): each code point back to its byte; one outside the
    /// alphabet becomes "[UNK_BYTE_0x" + its UTF-8 in hex + the whole token text + "]", as llama.cpp prints it.
    /// </summary>
    public static void Decode(string text, List<byte> output)
    {
        Span<byte> utf8 = stackalloc byte[4];
        foreach (Rune rune in text.EnumerateRunes())
        {
            int b = ToByte(rune.Value);
            if (b >= 0)
            {
                output.Add((byte)b);
                continue;
            }
            int len = rune.EncodeToUtf8(utf8);
            var unknown = new StringBuilder("[UNK_BYTE_0x");
            for (int i = 0; i < len; i++) unknown.Append(utf8[i].ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            unknown.Append(text).Append(']');
            output.AddRange(Encoding.UTF8.GetBytes(unknown.ToString()));
        }
    }
}
