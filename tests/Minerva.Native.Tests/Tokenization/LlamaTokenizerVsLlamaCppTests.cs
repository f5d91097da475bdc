// Our tokenizer against llama.cpp's (llama_tokenize / llama_detokenize / llama_token_to_piece) on the same GGUF vocabulary.
using System.Buffers;
using System.Text;
using Minerva.Native.Tokenization;

namespace Minerva.Native.Tests.Tokenization;

[TestFixture]
public sealed class LlamaTokenizerVsLlamaCppTests
{
    private static LlamaTokenizer Ours => LlamaTokenizerVocabTests.Tokenizer;

    private static readonly string[] ExtraTexts =
    [
        "", " ", "Hello world", "😀🎉 emoji 👨‍👩‍👧‍👦 family", "漢字とひらがなとカタカナ、한국어", "tabs\tand\nnewlines\r\n  double  spaces   ",
        "<s>Hello</s>", "<s> <s>x</s></s>", "Hi<unk>there", "<s>", "</s>", "a<s>", "<0x0A> looks like a byte token",
        "lone \uD800 surrogate and \uDC00 another", "\u0000 nul and \u007F del", "ﬁ ligature, combining é, ẞ, Ǆ",
        "▁already escaped▁ mark", "   leading spaces", "trailing spaces   ", "\n\n\n", "Ｆｕｌｌｗｉｄｔｈ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝓂𝒶𝓉𝒽",
        "def f(x):\n    return x ** 2  # comment", "https://example.com/path?q=1&r=2#frag", "1234567890 3.14159 -42",
    ];

    private static IEnumerable<string> AllTexts() =>
        LlamaTokenizerVocabTests.Cases().Select(c => c.Text).Concat(ExtraTexts).Concat(RandomTexts(150, seed: 1234));

    /// <summary>Seeded random strings over an alphabet mixing ASCII, whitespace, special-token text, accents, CJK and emoji.</summary>
    private static IEnumerable<string> RandomTexts(int count, int seed)
    {
        string[] atoms = ["a", "b", "e", "th", "ing", " ", "  ", "\t", "\n", ".", ",", "'", "<s>", "</s>", "<unk>", "<", ">", "0x",
            "é", "ß", "ü", "字", "の", "😀", "🦙", "\u200d", "A", "Z", "9", "Hello", " world", "▁", "\r", "{", "}"];
        var rng = new Random(seed);
        for (int i = 0; i < count; i++)
        {
            var sb = new StringBuilder();
            int n = rng.Next(0, 40);
            for (int j = 0; j < n; j++) sb.Append(atoms[rng.Next(atoms.Length)]);
            yield return sb.ToString();
        }
    }

    [Test]
    public void EncodeMatchesLlamaCppForAllFlagCombinations()
    {
        var cpp = LlamaCppReference.Get();
        Assert.That(cpp.AssertEncodesLike(Ours, AllTexts(), LlamaTokenizerVocabTests.Escape), Is.GreaterThan(800));
    }

    [Test]
    public void DecodeMatchesLlamaDetokenize()
    {
        var cpp = LlamaCppReference.Get();
        var rng = new Random(99);
        var sequences = AllTexts().Select(t => Ours.Encode(t, addBos: true, parseSpecial: true)).ToList();
        for (int i = 0; i < 100; i++) // random ids: control tokens, byte tokens that do not form characters, BOS/EOS anywhere
            sequences.Add(Enumerable.Range(0, rng.Next(0, 12)).Select(_ => rng.Next(3) == 0 ? rng.Next(0, 300) : rng.Next(Ours.VocabSize)).ToArray());
        foreach (int[] ids in sequences)
            foreach (bool removeSpecial in new[] { false, true })
                foreach (bool unparseSpecial in new[] { false, true })
                {
                    var ours = new ArrayBufferWriter<byte>();
                    Ours.DecodeBytes(ids, ours, removeSpecial, unparseSpecial);
                    Assert.That(ours.WrittenSpan.ToArray(), Is.EqualTo(cpp.Detokenize(ids, removeSpecial, unparseSpecial)),
                        $"[{string.Join(' ', ids)}] removeSpecial={removeSpecial} unparseSpecial={unparseSpecial}");
                }
    }

    [Test]
    public void EveryTokenPieceMatchesLlamaTokenToPiece()
    {
        var cpp = LlamaCppReference.Get();
        var mismatches = new List<int>();
        for (int id = 0; id < Ours.VocabSize; id++)
        {
            if (!Ours.TokenToPieceBytes(id, special: true).SequenceEqual(cpp.TokenToPiece(id, true, 0))
                || !Ours.TokenToPieceBytes(id, special: false).SequenceEqual(cpp.TokenToPiece(id, false, 0))
                || !Ours.TokenToPieceBytes(id, special: false, lstrip: true).SequenceEqual(cpp.TokenToPiece(id, false, 1))
                || Ours.IsEog(id) != cpp.IsEog(id))
                mismatches.Add(id);
        }
        Assert.That(mismatches, Is.Empty, "token ids whose piece or end-of-generation flag differs");
    }

    [Test]
    public void RoundTripWithoutSpecialTokensGivesTheText()
    {
        // U+2581 in the input decodes as a space and lone surrogates as U+FFFD: those texts cannot round-trip.
        foreach (string text in AllTexts().Where(t => !t.Contains('\uD800') && !t.Contains('\uDC00') && !t.Contains('▁')))
        {
            int[] ids = Ours.Encode(text, addBos: false);
            Assert.That(Ours.Decode(ids), Is.EqualTo(text), LlamaTokenizerVocabTests.Escape(text));
        }
    }
}
