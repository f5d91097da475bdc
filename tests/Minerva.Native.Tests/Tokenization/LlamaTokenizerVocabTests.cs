// llama.cpp's tokenizer test vectors (ggml-vocab-llama-spm.gguf.inp/.out, made by the Hugging Face tokenizer) against our encoder.
using Minerva.Native.Tokenization;

namespace Minerva.Native.Tests.Tokenization;

[TestFixture]
public sealed class LlamaTokenizerVocabTests
{
    internal static string VocabPath => TestPaths.SharedTestData("tokenizer", "ggml-vocab-llama-spm.gguf");

    private static readonly Lazy<LlamaTokenizer> Shared = new(() => LlamaTokenizer.FromGguf(VocabPath));
    internal static LlamaTokenizer Tokenizer => Shared.Value;

    /// <summary>The 46 (text, expected ids) pairs of the reference data, in file order.</summary>
    internal static IReadOnlyList<(string Text, int[] Ids)> Cases()
    {
        string inp = File.ReadAllText(VocabPath + ".inp");
        string[] texts = inp.Split("\n__ggml_vocab_test__\n");
        string[] lines = File.ReadAllText(VocabPath + ".out").Split('\n');
        var cases = new List<(string, int[])>();
        for (int i = 0; i < texts.Length - 1; i++) // the last separator leaves an empty tail
            cases.Add((texts[i], lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray()));
        return cases;
    }

    [Test]
    public void ReferenceFileHolds46Cases() => Assert.That(Cases(), Has.Count.EqualTo(46));

    [Test]
    public void VocabularyMetadata()
    {
        var t = Tokenizer;
        Assert.Multiple(() =>
        {
            Assert.That(t.VocabSize, Is.EqualTo(32000));
            Assert.That((t.Bos, t.Eos, t.Unk), Is.EqualTo((1, 2, 0)));
            Assert.That(t.AddBos, Is.True);
            Assert.That(t.AddEos, Is.False);
            Assert.That(t.AddSpacePrefix, Is.True);
            Assert.That(t.IsEog(2), Is.True);
            Assert.That(t.IsEog(1), Is.False);
            Assert.That(t.GetTokenType(1), Is.EqualTo(TokenType.Control));
            Assert.That(t.GetTokenType(3), Is.EqualTo(TokenType.Byte));
        });
    }

    [TestCaseSource(nameof(CaseIndices))]
    public void MatchesReferenceIds(int index)
    {
        (string text, int[] expected) = Cases()[index];
        int[] actual = Tokenizer.Encode(text, addBos: false);
        Assert.That(actual, Is.EqualTo(expected), $"text #{index}: \"{Escape(text)}\"");
    }

    [TestCaseSource(nameof(CaseIndices))]
    public void DecodeRoundTrips(int index)
    {
        (string text, int[] expected) = Cases()[index];
        // SentencePiece drops nothing here: the leading dummy space is removed again by the decoder.
        Assert.That(Tokenizer.Decode(expected), Is.EqualTo(text), $"text #{index}");
    }

    [Test]
    public void SpanOverloadReportsTheNeededLength()
    {
        Span<int> small = stackalloc int[1];
        Assert.That(Tokenizer.Encode("Hello world", small, addBos: true), Is.EqualTo(-3));
        Span<int> big = stackalloc int[8];
        int n = Tokenizer.Encode("Hello world", big, addBos: true);
        Assert.That(big[..n].ToArray(), Is.EqualTo(new[] { 1, 15043, 3186 }));
    }

    [Test]
    public void EncodingWorkGrowsLinearlyWithTheText()
    {
        var text = string.Concat(Enumerable.Repeat("The quick brown fox jumps over the lazy dog. Ünïcödé 😀 漢字\n", 160));
        Assert.That(text.Length, Is.GreaterThan(9000));
        Tokenizer.Encode(text, true);
        long Allocated(string t)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            int[] ids = Tokenizer.Encode(t, true);
            Assert.That(Tokenizer.Decode(ids), Is.EqualTo(" " + t)); // BOS kept: the leading space stays, as in llama.cpp
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
        // work bounded by counts, not the clock: four times the text costs about four to eight times the allocations
        // (buffers grow by doubling; measured 7x), where a quadratic merge would cost sixteen
        long one = Allocated(text), four = Allocated(string.Concat(Enumerable.Repeat(text, 4)));
        Assert.That(four, Is.LessThan(12 * one), $"{one} bytes for {text.Length} chars, {four} for four times that");
    }

    private static IEnumerable<int> CaseIndices() => Enumerable.Range(0, 46);

    internal static string Escape(string s) => s.Replace("\n", "\\n").Replace("\t", "\\t").Replace("\r", "\\r");
}
