// llama.cpp's byte-level BPE test vectors (ggml-vocab-{llama-bpe,gpt-2,deepseek-llm}.gguf.inp/.out, made by the
// Hugging Face tokenizers) against our encoder, plus each vocabulary's special ids and flags.
using System.Collections.Concurrent;
using Minerva.Native.Tokenization;

namespace Minerva.Native.Tests.Tokenization;

[TestFixture("llama-bpe")]
[TestFixture("gpt-2")]
[TestFixture("deepseek-llm")]
public sealed class BpeTokenizerVocabTests(string vocab)
{
    private static readonly ConcurrentDictionary<string, Lazy<LlamaTokenizer>> Loaded = new();

    internal static LlamaTokenizer Load(string vocab) =>
        Loaded.GetOrAdd(vocab, v => new Lazy<LlamaTokenizer>(() => LlamaTokenizer.FromGguf(BpeTestTexts.VocabPath(v)))).Value;

    private LlamaTokenizer Tokenizer => Load(vocab);

    private static IEnumerable<int> CaseIndices() => Enumerable.Range(0, 46);

    [Test]
    public void ReferenceFileHolds46Cases() => Assert.That(BpeTestTexts.ReferenceCases(vocab), Has.Count.EqualTo(46));

    [TestCaseSource(nameof(CaseIndices))]
    public void MatchesReferenceIds(int index)
    {
        (string text, int[] expected) = BpeTestTexts.ReferenceCases(vocab)[index];
        Assert.That(Tokenizer.Encode(text, addBos: false), Is.EqualTo(expected), $"text #{index}: \"{BpeTestTexts.Escape(text)}\"");
    }

    [TestCaseSource(nameof(CaseIndices))]
    public void StreamingDecodeGivesTheText(int index)
    {
        (string text, int[] expected) = BpeTestTexts.ReferenceCases(vocab)[index];
        var decoder = new TokenTextDecoder(Tokenizer);
        string streamed = string.Concat(expected.Select(decoder.Append)) + decoder.Flush();
        Assert.That(streamed, Is.EqualTo(text), $"text #{index}");
    }

    [Test]
    public void VocabularyMetadata()
    {
        var t = Tokenizer;
        Assert.Multiple(() =>
        {
            Assert.That(t.Kind, Is.EqualTo(TokenizerKind.Bpe));
            Assert.That(t.PreTokenizer, Is.EqualTo(vocab));
            Assert.That(t.AddSpacePrefix, Is.False);
            Assert.That(t.AddEos, Is.False);
            switch (vocab)
            {
                case "llama-bpe":
                    Assert.That((t.VocabSize, t.Bos, t.Eos, t.Eot, t.AddBos), Is.EqualTo((128256, 128000, 128001, 128009, true)));
                    Assert.That(t.Encode("Hello world", addBos: true), Is.EqualTo(new[] { 128000, 9906, 1917 }));
                    Assert.That(t.GetTokenType(128006), Is.EqualTo(TokenType.Control));
                    Assert.That(t.IsEog(128001) && t.IsEog(128009) && !t.IsEog(128000), Is.True);
                    break;
                case "gpt-2":
                    Assert.That((t.VocabSize, t.Bos, t.Eos, t.AddBos), Is.EqualTo((50257, 50256, 50256, false)));
                    Assert.That(t.Encode("Hello world", addBos: true), Is.EqualTo(new[] { 15496, 995 }));
                    break;
                case "deepseek-llm":
                    Assert.That((t.VocabSize, t.Bos, t.Eos, t.Pad, t.AddBos), Is.EqualTo((102400, 100000, 100001, 100001, true)));
                    break;
            }
        });
    }

    [Test]
    public void PiecesAreBytesInTheByteToUnicodeAlphabet()
    {
        var t = Tokenizer;
        int space = t.Encode(" ", addBos: false).Single();
        Assert.That(t.GetTokenText(space), Is.EqualTo("Ġ"));
        Assert.That(t.TokenToPieceBytes(space).ToArray(), Is.EqualTo(" "u8.ToArray()));
        int[] emoji = t.Encode("🦙", addBos: false);
        Assert.That(emoji.SelectMany(id => t.TokenToPieceBytes(id).ToArray()).ToArray(), Is.EqualTo("🦙"u8.ToArray()));
        Assert.That(t.TokenToPieceBytes(t.Eos, special: false).Length, Is.Zero);
        Assert.That(t.TokenToPiece(t.Eos, special: true), Is.EqualTo(t.GetTokenText(t.Eos)));
    }
}
