// User text of a given token count from fixed English words: the longest word prefix within the target, then " a"
// words (one token each in common SentencePiece and BPE vocabularies) up to it. The count comes from the engine under
// test (the server's /tokenize, or llama.cpp's tokenizer); the caller subtracts the chat template's share.
namespace Minerva.Native.LoadGen;

internal static class PromptBuilder
{
    private static readonly string[] Words =
    [
        "The", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog", "while", "a", "small", "bird", "sings", "in",
        "the", "old", "oak", "tree", "near", "the", "river", "and", "children", "play", "on", "the", "green", "hill", "under",
        "a", "clear", "blue", "sky", "as", "the", "sun", "slowly", "sets", "behind", "the", "distant", "mountains", "of", "the",
        "north",
    ];

    /// <summary>The first <paramref name="count"/> words of the fixed text, cycled.</summary>
    public static string Text(int count) => string.Join(' ', Enumerable.Range(0, count).Select(i => Words[i % Words.Length]));

    /// <summary>
    /// User text whose token count (by <paramref name="countTokens"/>, no BOS) is <paramref name="contentTokens"/> where the
    /// vocabulary allows, and at most that otherwise; at least one word.
    /// </summary>
    public static async Task<(string Text, int Tokens)> ForTokensAsync(int contentTokens, Func<string, Task<int>> countTokens)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(contentTokens, 1);
        int lo = 1, hi = 1;   // invariant once found: count(Text(lo)) <= target < count(Text(hi))
        int loTokens = await countTokens(Text(1)).ConfigureAwait(false);
        if (loTokens >= contentTokens) return (Text(1), loTokens);
        while (true)
        {
            hi *= 2;
            int n = await countTokens(Text(hi)).ConfigureAwait(false);
            if (n > contentTokens) break;
            (lo, loTokens) = (hi, n);
            if (n == contentTokens) return (Text(hi), n);
        }
        while (hi - lo > 1)
        {
            int mid = (lo + hi) / 2;
            int n = await countTokens(Text(mid)).ConfigureAwait(false);
            if (n <= contentTokens) (lo, loTokens) = (mid, n); else hi = mid;
        }
        string text = Text(lo);
        for (int pad = 0; loTokens < contentTokens && pad < 8; pad++)
        {
            int n = await countTokens(text + " a").ConfigureAwait(false);
            if (n > contentTokens) break;
            (text, loTokens) = (text + " a", n);
        }
        return (text, loTokens);
    }
}
