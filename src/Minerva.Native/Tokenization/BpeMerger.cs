// Byte-level BPE of one pre-token (llama.cpp llm_tokenizer_bpe_session::tokenize): one symbol per byte character, then
// the adjacent pair of lowest merge rank merged first (leftmost on ties) until none is a merge; symbols to token ids.
using System.Buffers;

namespace Minerva.Native.Tokenization;

internal static class BpeMerger
{
    private struct Symbol
    {
        public int Start;  // into the word (characters)
        public int Length; // 0 once merged into its left neighbour
        public int Prev;
        public int Next;
    }

    private readonly record struct Bigram(int Left, int Right, int Length);

    /// <summary>
    /// Appends the ids of <paramref name="word"/> (a pre-token written in the byte-to-unicode alphabet). With
    /// <paramref name="ignoreMerges"/> a word that is a vocabulary token is that token. A final symbol that is no token
    /// is spelt by its single-character tokens (llama.cpp looks up each UTF-8 byte alone, which only ASCII can match).
    /// </summary>
    public static void Encode(LlamaTokenizer vocab, ReadOnlySpan<char> word, bool ignoreMerges, List<int> output)
    {
        if (word.IsEmpty) return;
        if (ignoreMerges)
        {
            int whole = vocab.LookupPiece(word);
            if (whole >= 0) { output.Add(whole); return; }
        }
        if (word.Length == 1)
        {
            AppendSymbol(vocab, word, output);
            return;
        }

        Symbol[] symbols = ArrayPool<Symbol>.Shared.Rent(word.Length);
        char[] key = ArrayPool<char>.Shared.Rent(word.Length + 1);
        try
        {
            int count = word.Length;
            for (int i = 0; i < count; i++) symbols[i] = new Symbol { Start = i, Length = 1, Prev = i - 1, Next = i + 1 == count ? -1 : i + 1 };

            var queue = new PriorityQueue<Bigram, (int Rank, int Left)>(count);
            for (int i = 1; i < count; i++) TryAdd(vocab, word, symbols, key, queue, i - 1, i);

            while (queue.TryDequeue(out Bigram bigram, out _))
            {
                ref Symbol left = ref symbols[bigram.Left];
                ref Symbol right = ref symbols[bigram.Right];
                // Outdated: one side was merged away or grew since the pair was queued (llama.cpp compares the texts).
                if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != bigram.Length) continue;

                left.Length += right.Length;
                right.Length = 0;
                left.Next = right.Next;
                if (right.Next >= 0) symbols[right.Next].Prev = bigram.Left;

                TryAdd(vocab, word, symbols, key, queue, left.Prev, bigram.Left);
                TryAdd(vocab, word, symbols, key, queue, bigram.Left, left.Next);
            }

            for (int i = 0; i != -1; i = symbols[i].Next)
                AppendSymbol(vocab, word.Slice(symbols[i].Start, symbols[i].Length), output);
        }
        finally
        {
            ArrayPool<Symbol>.Shared.Return(symbols);
            ArrayPool<char>.Shared.Return(key);
        }
    }

    private static void TryAdd(LlamaTokenizer vocab, ReadOnlySpan<char> word, Symbol[] symbols, char[] key,
        PriorityQueue<Bigram, (int, int)> queue, int left, int right)
    {
        if (left == -1 || right == -1) return;
        ReadOnlySpan<char> l = word.Slice(symbols[left].Start, symbols[left].Length);
        ReadOnlySpan<char> r = word.Slice(symbols[right].Start, symbols[right].Length);
        l.CopyTo(key);
        key[l.Length] = ' ';
        r.CopyTo(key.AsSpan(l.Length + 1));
        int rank = vocab.MergeRank(key.AsSpan(0, l.Length + 1 + r.Length));
        if (rank < 0) return;
        queue.Enqueue(new Bigram(left, right, l.Length + r.Length), (rank, left));
    }

    private static void AppendSymbol(LlamaTokenizer vocab, ReadOnlySpan<char> text, List<int> output)
    {
        int id = vocab.LookupPiece(text);
        if (id >= 0) { output.Add(id); return; }
        foreach (char c in text)
            if (c < 0x80 && (id = vocab.LookupPiece([c])) >= 0) output.Add(id);
    }
}
