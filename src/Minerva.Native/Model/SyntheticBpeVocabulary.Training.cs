// Plain BPE training on the fixed sample (the algorithm of Sennrich et al. and of Hugging Face's BpeTrainer): pre-tokens
// by the family's pre-tokenizer in the byte-to-unicode alphabet, then repeatedly the most frequent adjacent pair merged.
using Minerva.Native.Tokenization;

namespace Minerva.Native.Model;

internal static partial class SyntheticBpeVocabulary
{
    /// <summary>
    /// Up to <paramref name="maxMerges"/> merges "left right" in rank order; stops when every pre-token is one symbol
    /// (pairs seen once merge too, as with BpeTrainer's default min_frequency). Ties go to the ordinally smallest
    /// (left, right), so the result depends on nothing but the sample.
    /// </summary>
    private static string[] Train(string pre, int maxMerges)
    {
        var wordCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        var tokenizer = BpePreTokenizer.Get(pre);
        int[] codepoints = new int[SyntheticBpeSample.Text.Length];
        int n = CodepointFlags.ToCodepoints(SyntheticBpeSample.Text, codepoints);
        var lengths = new List<int>();
        tokenizer.Split(codepoints.AsSpan(0, n), lengths);
        char[] buffer = new char[4 * n];
        int offset = 0;
        foreach (int length in lengths)
        {
            string word = new(buffer, 0, ByteLevel.Encode(codepoints.AsSpan(offset, length), buffer));
            wordCounts[word] = wordCounts.GetValueOrDefault(word) + 1;
            offset += length;
        }

        var words = wordCounts.OrderBy(w => w.Key, StringComparer.Ordinal).Select(w => w.Key.Select(c => c.ToString()).ToList()).ToArray();
        int[] counts = [.. wordCounts.OrderBy(w => w.Key, StringComparer.Ordinal).Select(w => w.Value)];
        var pairs = new Dictionary<(string, string), int>();
        var where = new Dictionary<(string, string), HashSet<int>>();
        void Count(int w, int sign)
        {
            var symbols = words[w];
            for (int i = 0; i + 1 < symbols.Count; i++)
            {
                var pair = (symbols[i], symbols[i + 1]);
                int c = pairs.GetValueOrDefault(pair) + sign * counts[w];
                if (c == 0) pairs.Remove(pair); else pairs[pair] = c;
                if (sign > 0) (where.TryGetValue(pair, out var set) ? set : where[pair] = []).Add(w);
            }
        }
        for (int w = 0; w < words.Length; w++) Count(w, +1);

        var merges = new List<string>(maxMerges);
        while (merges.Count < maxMerges)
        {
            (string L, string R) best = default;
            int bestCount = 0;
            foreach (var (pair, c) in pairs)
                if (c > bestCount || c == bestCount && Before(pair, best)) (best, bestCount) = (pair, c);
            if (bestCount == 0) break;
            merges.Add(best.L + " " + best.R);
            foreach (int w in where[best].Order().ToArray())
            {
                Count(w, -1);
                var symbols = words[w];
                for (int i = 0; i + 1 < symbols.Count; i++)
                    if (symbols[i] == best.L && symbols[i + 1] == best.R)
                    {
                        symbols[i] = best.L + best.R;
                        symbols.RemoveAt(i + 1);
                    }
                Count(w, +1);
            }
            where.Remove(best);
        }
        return [.. merges];
    }

    private static bool Before((string L, string R) a, (string L, string R) b)
    {
        int c = string.CompareOrdinal(a.L, b.L);
        return c < 0 || c == 0 && string.CompareOrdinal(a.R, b.R) < 0;
    }
}
