// Our byte-level BPE against llama.cpp's own (llama_tokenize / llama_detokenize / llama_token_to_piece through
// LLamaSharp) on the same GGUF vocabularies: a few hundred texts, every flag combination, every token's piece.
using System.Buffers;
using Minerva.Native.Tokenization;

namespace Minerva.Native.Tests.Tokenization;

[TestFixture("llama-bpe")]
[TestFixture("gpt-2")]
[TestFixture("deepseek-llm")]
public sealed class BpeTokenizerVsLlamaCppTests(string vocab)
{
    private LlamaTokenizer Ours => BpeTokenizerVocabTests.Load(vocab);
    private LlamaCppReference Cpp => LlamaCppReference.Get(BpeTestTexts.VocabPath(vocab));

    private IEnumerable<string> AllTexts() =>
        BpeTestTexts.ReferenceCases(vocab).Select(c => c.Text).Concat(BpeTestTexts.Fixed)
            .Concat(BpeTestTexts.Random(150, seed: 11)).Concat(BpeTestTexts.RandomCodepoints(60, seed: 12));

    [Test]
    public void EncodeMatchesLlamaCppForAllFlagCombinations()
    {
        var cpp = Cpp;
        Assert.That(cpp.AssertEncodesLike(Ours, AllTexts(), BpeTestTexts.Escape), Is.GreaterThan(1200));
    }

    [Test]
    public void DecodeMatchesLlamaDetokenize()
    {
        var cpp = Cpp;
        var rng = new Random(99);
        var sequences = AllTexts().Select(t => Ours.Encode(t, addBos: true, parseSpecial: true)).ToList();
        for (int i = 0; i < 150; i++) // random ids: special tokens, partial UTF-8, BOS/EOS anywhere
            sequences.Add(Enumerable.Range(0, rng.Next(0, 12))
                .Select(_ => rng.Next(3) == 0 ? Ours.VocabSize - 1 - rng.Next(300) : rng.Next(Ours.VocabSize)).ToArray());
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
        var cpp = Cpp;
        var mismatches = new List<int>();
        for (int id = 0; id < Ours.VocabSize; id++)
        {
            if (!Ours.TokenToPieceBytes(id, special: true).SequenceEqual(cpp.TokenToPiece(id, true, 0))
                || !Ours.TokenToPieceBytes(id, special: false).SequenceEqual(cpp.TokenToPiece(id, false, 0))
                || !Ours.TokenToPieceBytes(id, special: false, lstrip: true).SequenceEqual(cpp.TokenToPiece(id, false, 1))
                || Ours.IsEog(id) != cpp.IsEog(id))
                mismatches.Add(id);
        }
        Assert.That(mismatches.Take(20), Is.Empty, $"{mismatches.Count} token ids whose piece or end-of-generation flag differs");
    }

    [Test]
    public void SpecialIdsAndFlagsMatchLlamaCpp() =>
        Assert.That((Ours.Bos, Ours.Eos, Ours.Eot, Ours.AddBos, Ours.AddEos), Is.EqualTo(Cpp.Specials));
}
