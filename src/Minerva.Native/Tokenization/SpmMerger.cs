// SentencePiece-BPE segmentation of one normalised fragment: UTF-8 characters merged bigram by bigram, highest piece score
// first and the leftmost pair on ties, then unknown pieces spelled as <0xXX> byte tokens (llama.cpp llm_tokenizer_spm_session).
using System.Buffers;
using System.Text;

namespace Minerva.Native.Tokenization;

internal static class SpmMerger
{
    private struct Symbol
    {
        public int Start;   // into the normalised text (UTF-16 units)
        public int Length;  // 0 once merged into its left neighbour
        public int Prev;
        public int Next;
    }

    private readonly record struct Bigram(int Left, int Right, int Length);

    /// <summary>Highest score first; on equal scores the smaller left index (llm_bigram_spm::comparator).</summary>
    private sealed class BigramOrder : IComparer<(float Score, int Left)>
    {
        public static readonly BigramOrder Instance = new();
        public int Compare((float Score, int Left) a, (float Score, int Left) b)
        {
            if (a.Score > b.Score) return -1;
            if (a.Score < b.Score) return 1;
            return a.Left.CompareTo(b.Left);
        }
    }

    /// <summary>
    /// Tokenises <paramref name="text"/> (already escaped: spaces as U+2581, no lone surrogates) and appends the ids.
    /// A merged symbol is always a vocabulary token (a bigram is only queued when its text is one), so llama.cpp's
    /// rev_merge resegmentation never fires for valid UTF-8 and only single characters can fall back to bytes.
    /// </summary>
    public static void Encode(LlamaTokenizer vocab, ReadOnlySpan<char> text, List<int> output)
    {
        if (text.IsEmpty) return;
        Symbol[] symbols = ArrayPool<Symbol>.Shared.Rent(text.Length); // [n_chars] at most one per UTF-16 unit
        try
        {
            int count = 0;
            for (int offset = 0; offset < text.Length; count++)
            {
                int len = char.IsHighSurrogate(text[offset]) && offset + 1 < text.Length && char.IsLowSurrogate(text[offset + 1]) ? 2 : 1;
                symbols[count] = new Symbol { Start = offset, Length = len, Prev = count - 1, Next = offset + len == text.Length ? -1 : count + 1 };
                offset += len;
            }

            var queue = new PriorityQueue<Bigram, (float, int)>(count, BigramOrder.Instance);
            for (int i = 1; i < count; i++) TryAddBigram(vocab, text, symbols, queue, i - 1, i);

            while (queue.TryDequeue(out Bigram bigram, out _))
            {
                ref Symbol left = ref symbols[bigram.Left];
                ref Symbol right = ref symbols[bigram.Right];
                if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != bigram.Length) continue;

                left.Length += right.Length;
                right.Length = 0;
                left.Next = right.Next;
                if (right.Next >= 0) symbols[right.Next].Prev = bigram.Left;

                TryAddBigram(vocab, text, symbols, queue, left.Prev, bigram.Left);
                TryAddBigram(vocab, text, symbols, queue, bigram.Left, left.Next);
            }

            for (int i = 0; i != -1; i = symbols[i].Next)
            {
                ReadOnlySpan<char> piece = text.Slice(symbols[i].Start, symbols[i].Length);
                int id = vocab.LookupPiece(piece);
                if (id >= 0) output.Add(id);
                else AppendBytes(vocab, piece, output);
            }
        }
        finally
        {
            ArrayPool<Symbol>.Shared.Return(symbols);
        }
    }

    private static void TryAddBigram(LlamaTokenizer vocab, ReadOnlySpan<char> text, Symbol[] symbols,
        PriorityQueue<Bigram, (float, int)> queue, int left, int right)
    {
        if (left == -1 || right == -1) return;
        int length = symbols[left].Length + symbols[right].Length;
        int id = vocab.LookupPiece(text.Slice(symbols[left].Start, length));
        if (id < 0) return;
        queue.Enqueue(new Bigram(left, right, length), (vocab.Score(id), left));
    }

    private static void AppendBytes(LlamaTokenizer vocab, ReadOnlySpan<char> piece, List<int> output)
    {
        Span<byte> utf8 = stackalloc byte[8];
        int n = Encoding.UTF8.GetBytes(piece, utf8);
        for (int j = 0; j < n; j++) output.Add(vocab.ByteToToken(utf8[j]));
    }
}
