// Byte-level BPE of one text fragment (llama.cpp llm_tokenizer_bpe_session::tokenize with unicode_regex_split): code
// points, pre-tokens by the vocabulary's regexes, each pre-token's UTF-8 in the byte-to-unicode alphabet, then merges.
using System.Buffers;

namespace Minerva.Native.Tokenization;

public sealed partial class LlamaTokenizer
{
    private void EncodeBpe(ReadOnlySpan<char> text, List<int> output)
    {
        int[] codepoints = ArrayPool<int>.Shared.Rent(text.Length);
        char[] word = ArrayPool<char>.Shared.Rent(1024);
        try
        {
            int n = CodepointFlags.ToCodepoints(text, codepoints);
            var lengths = new List<int>(n / 3 + 4);
            _pre!.Split(codepoints.AsSpan(0, n), lengths);
            int offset = 0;
            foreach (int length in lengths)
            {
                if (word.Length < length * 4)
                {
                    ArrayPool<char>.Shared.Return(word);
                    word = ArrayPool<char>.Shared.Rent(length * 4);
                }
                int chars = ByteLevel.Encode(codepoints.AsSpan(offset, length), word);
                BpeMerger.Encode(this, word.AsSpan(0, chars), _pre.IgnoreMerges, output);
                offset += length;
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(codepoints);
            ArrayPool<char>.Shared.Return(word);
        }
    }

    /// <summary>
    /// llama_detokenize's clean_spaces passes over the whole output, in place, as llama.cpp writes them: drop the space
    /// before ? ! . , ; turn " ' " into "'"; drop the space before 's 'm 're 've. Returns the new length.
    /// </summary>
    private static int CleanSpaces(Span<byte> text)
    {
        int total = text.Length;
        int total1 = total;
        total = total > 0 ? 1 : 0;
        for (int i = 1; i < total1; i++)
        {
            byte x = text[i];
            if (text[i - 1] == ' ' && x is (byte)'?' or (byte)'!' or (byte)'.' or (byte)',') total--;
            text[total++] = x;
        }

        int total2 = total;
        total = total > 0 ? 1 : 0;
        for (int i = 1; i < total2; i++)
        {
            byte x = text[i];
            if (x == '\'' && i + 1 < total2 && text[i - 1] == ' ' && text[i + 1] == ' ')
            {
                total--;
                text[++i] = 0;
            }
            text[total++] = x;
        }

        int total3 = total;
        total = total > 0 ? 1 : 0;
        for (int i = 1; i < total3; i++)
        {
            byte x = text[i];
            if (text[i - 1] == ' ' && x == '\'' && i + 1 < total3)
            {
                byte x1 = text[i + 1];
                if (x1 is (byte)'s' or (byte)'m') total--;
                else if (x1 is not ((byte)'t' or (byte)'d') && i + 2 < total3)
                {
                    byte x2 = text[i + 2];
                    if (x1 == 'r' && x2 == 'e' || x1 == 'v' && x2 == 'e') total--;
                }
            }
            text[total++] = x;
        }
        return total;
    }
}
