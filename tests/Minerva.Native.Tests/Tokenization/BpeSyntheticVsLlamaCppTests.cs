// Synthetic byte-level BPE vocabularies (SyntheticBpeVocabulary) written as vocabulary-only GGUFs with each pre-tokenizer
// (qwen2, smollm, llama-bpe, gpt-2, and others on the same merges) and tokenised by llama.cpp and by us; and the same
// vocabulary as tokenizer.json must give the GGUF's ids.
using System.Buffers;
using System.Text.Json;
using Minerva.Native.Formats.Gguf;
using Minerva.Native.Model;
using Minerva.Native.Tokenization;

namespace Minerva.Native.Tests.Tokenization;

[TestFixture]
public sealed class BpeSyntheticVsLlamaCppTests
{
    private string _dir = "";

    [OneTimeSetUp]
    public void Setup() => _dir = TestPaths.NewScratch("bpe-synthetic");

    [OneTimeTearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private static IEnumerable<string> Texts() =>
        BpeTestTexts.ReferenceCases("llama-bpe").Select(c => c.Text).Concat(BpeTestTexts.Fixed)
            .Concat(BpeTestTexts.Random(120, seed: 21)).Concat(BpeTestTexts.RandomCodepoints(40, seed: 22))
            .Concat(["<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n", "x<|endoftext|>y<|im_end|>"]);

    /// <summary>(family, pre-tokenizer written into the GGUF, general.architecture).</summary>
    private static readonly object[] Cases =
    [
        new object[] { "qwen2", "qwen2", "qwen2" },
        new object[] { "smollm", "smollm", "llama" },
        new object[] { "llama3", "llama-bpe", "llama" },
        new object[] { "gpt2", "gpt-2", "gpt2" },
        new object[] { "qwen2", "stablelm2", "llama" },
        new object[] { "smollm", "command-r", "llama" },
        new object[] { "gpt2", "deepseek-llm", "llama" },
        new object[] { "gpt2", "default", "llama" },
    ];

    [TestCaseSource(nameof(Cases))]
    public void EncodeAndDecodeMatchLlamaCpp(string family, string pre, string architecture)
    {
        var vocab = SyntheticBpeVocabulary.Create(family, vocabSize: 2048) with { PreTokenizer = pre };
        string path = WriteGguf(vocab, architecture, $"{family}-{pre}.gguf");
        var cpp = LlamaCppReference.Get(path);
        var ours = LlamaTokenizer.FromGguf(path);
        Assert.That((ours.Bos, ours.Eos, ours.Eot, ours.AddBos, ours.AddEos), Is.EqualTo(cpp.Specials));
        foreach (string text in Texts())
            foreach (bool addSpecial in new[] { false, true })
                foreach (bool parseSpecial in new[] { false, true })
                    Assert.That(ours.Encode(text, addSpecial, parseSpecial), Is.EqualTo(cpp.Tokenize(text, addSpecial, parseSpecial)),
                        $"\"{BpeTestTexts.Escape(text)}\" addSpecial={addSpecial} parseSpecial={parseSpecial}");

        var rng = new Random(5);
        var sequences = Texts().Select(t => ours.Encode(t, true, true)).ToList();
        for (int i = 0; i < 100; i++) sequences.Add([.. Enumerable.Range(0, rng.Next(12)).Select(_ => rng.Next(ours.VocabSize))]);
        foreach (int[] ids in sequences)
            foreach (bool removeSpecial in new[] { false, true })
                foreach (bool unparseSpecial in new[] { false, true })
                {
                    var bytes = new ArrayBufferWriter<byte>();
                    ours.DecodeBytes(ids, bytes, removeSpecial, unparseSpecial);
                    Assert.That(bytes.WrittenSpan.ToArray(), Is.EqualTo(cpp.Detokenize(ids, removeSpecial, unparseSpecial)), $"[{string.Join(' ', ids)}]");
                }
        for (int id = 0; id < ours.VocabSize; id++)
            Assert.That((ours.TokenToPieceBytes(id, special: true).ToArray(), ours.IsEog(id)), Is.EqualTo((cpp.TokenToPiece(id, true, 0), cpp.IsEog(id))), $"token {id}");
    }

    [TestCase("llama3", false)]
    [TestCase("qwen2", true)]
    [TestCase("smollm", false)]
    [TestCase("gpt2", true)]
    public void TokenizerJsonGivesTheIdsOfTheGguf(string family, bool mergesAsPairs)
    {
        var vocab = SyntheticBpeVocabulary.Create(family, vocabSize: 1500);
        var gguf = LlamaTokenizer.FromGguf(WriteGguf(vocab, "llama", $"{family}-json.gguf"));
        string folder = Path.Combine(_dir, $"hf-{family}");
        Directory.CreateDirectory(folder);
        SyntheticBpeVocabulary.WriteTokenizerJson(vocab, Path.Combine(folder, "tokenizer.json"), mergesAsPairs);
        var bare = LlamaTokenizer.FromTokenizerJson(Path.Combine(folder, "tokenizer.json"));
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["bos_token"] = vocab.Bos < 0 ? null : vocab.Tokens[vocab.Bos], ["eos_token"] = vocab.Tokens[vocab.Eos],
            ["add_bos_token"] = vocab.AddBos,
        }));
        var json = LlamaTokenizer.FromTokenizerJson(Path.Combine(folder, "tokenizer.json"));
        Assert.Multiple(() =>
        {
            Assert.That((json.Kind, json.PreTokenizer, json.VocabSize), Is.EqualTo((TokenizerKind.Bpe, gguf.PreTokenizer, gguf.VocabSize)));
            Assert.That(json.Vocabulary.Tokens, Is.EqualTo(gguf.Vocabulary.Tokens));
            Assert.That(json.Vocabulary.Types, Is.EqualTo(gguf.Vocabulary.Types));
            Assert.That(json.Vocabulary.Merges, Is.EqualTo(gguf.Vocabulary.Merges));
            Assert.That((json.Bos, json.Eos, json.AddBos, json.AddEos), Is.EqualTo((gguf.Bos, gguf.Eos, gguf.AddBos, gguf.AddEos)));
            Assert.That((bare.Bos, bare.AddBos), Is.EqualTo(family == "llama3" ? (gguf.Bos, true) : (-1, false)), "BOS from the post_processor alone");
            foreach (string text in Texts())
                Assert.That(json.Encode(text, true, true), Is.EqualTo(gguf.Encode(text, true, true)), BpeTestTexts.Escape(text));
        });
    }

    [Test]
    public void UnknownPreTokenizersAreRefusedClearly()
    {
        var vocab = SyntheticBpeVocabulary.Create("gpt2", vocabSize: 600) with { PreTokenizer = "no-such-pre" };
        string path = WriteGguf(vocab, "llama", "unknown-pre.gguf");
        Assert.That(() => LlamaTokenizer.FromGguf(path), Throws.TypeOf<NotSupportedException>()
            .With.Message.Contains("'no-such-pre'").And.Message.Contains("llama-bpe").And.Message.Contains("qwen2").And.Message.Contains(path));
        Assert.That(() => new LlamaTokenizer(vocab.ToTokenizerVocabulary()), Throws.TypeOf<NotSupportedException>().With.Message.Contains("'no-such-pre'"));

        string json = Path.Combine(_dir, "unknown-split.json");
        SyntheticBpeVocabulary.WriteTokenizerJson(SyntheticBpeVocabulary.Create("qwen2", 600), json);
        File.WriteAllText(json, File.ReadAllText(json).Replace(@"\\p{N}|", @"\\p{N}{1,4}|"));
        Assert.That(() => LlamaTokenizer.FromTokenizerJson(json), Throws.TypeOf<NotSupportedException>()
            .With.Message.Contains("pre_tokenizer").And.Message.Contains("{1,4}"));
    }

    [Test]
    public void CreateIsDeterministicAndFillsTheRequestedSize()
    {
        var a = SyntheticBpeVocabulary.Create("llama3", 128256);
        var b = SyntheticBpeVocabulary.Create("llama3", 128256);
        Assert.Multiple(() =>
        {
            Assert.That(a.Tokens, Has.Length.EqualTo(128256));
            Assert.That(a.Tokens, Is.EqualTo(b.Tokens));
            Assert.That(a.Merges, Is.EqualTo(b.Merges));
            Assert.That(a.Merges, Has.Length.GreaterThan(1000));
            Assert.That((a.Bos, a.Eos, a.Tokens[128009]), Is.EqualTo((128000, 128001, "<|eot_id|>")));
            Assert.That(a.Tokens.Distinct().Count(), Is.EqualTo(a.Tokens.Length));
            var qwen = SyntheticBpeVocabulary.Create("qwen2", 151936);
            Assert.That(qwen.Tokens, Has.Length.EqualTo(151936));
            var smol = SyntheticBpeVocabulary.Create("smollm", 49152);
            Assert.That((smol.Tokens.Length, smol.Tokens[0], smol.Tokens[1], smol.Tokens[2]), Is.EqualTo((49152, "<|endoftext|>", "<|im_start|>", "<|im_end|>")));
        });
    }

    /// <summary>A vocabulary-only GGUF: the hyperparameters llama.cpp's loader requires for the architecture, then the tokenizer.</summary>
    private string WriteGguf(SyntheticBpeVocabulary.Vocabulary vocab, string architecture, string name)
    {
        var w = new GgufWriter();
        w.AddMetadata("general.architecture", architecture);
        w.AddMetadata("general.name", "synthetic-" + vocab.Family);
        w.AddMetadata($"{architecture}.vocab_size", (uint)vocab.Tokens.Length);
        w.AddMetadata($"{architecture}.context_length", 256u);
        w.AddMetadata($"{architecture}.embedding_length", 64u);
        w.AddMetadata($"{architecture}.block_count", 1u);
        w.AddMetadata($"{architecture}.feed_forward_length", 128u);
        w.AddMetadata($"{architecture}.attention.head_count", 2u);
        w.AddMetadata($"{architecture}.attention.head_count_kv", 2u);
        w.AddMetadata($"{architecture}.attention.layer_norm_rms_epsilon", 1e-6f);
        w.AddMetadata($"{architecture}.attention.layer_norm_epsilon", 1e-5f);
        w.AddMetadata($"{architecture}.rope.freq_base", 10000f);
        SyntheticBpeVocabulary.AddToGguf(w, vocab);
        string path = Path.Combine(_dir, name);
        using var stream = File.Create(path);
        w.Write(stream, (Func<int, ReadOnlyMemory<byte>>)(_ => ReadOnlyMemory<byte>.Empty));
        return path;
    }
}
