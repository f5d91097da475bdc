// tokenizer.model and tokenizer.json factories: files synthesised from the reference GGUF vocabulary (protobuf by the
// sentencepiece_model.proto wire format, merges by transformers' SentencePieceExtractor rule) must tokenise like llama.cpp.
using System.Text;
using System.Text.Json;
using Minerva.Native.Formats.Gguf;
using Minerva.Native.Tokenization;

namespace Minerva.Native.Tests.Tokenization;

[TestFixture]
public sealed class TokenizerFileFactoryTests
{
    private static LlamaTokenizer Gguf => LlamaTokenizerVocabTests.Tokenizer;
    private string _dir = "";

    [OneTimeSetUp]
    public void Setup() => _dir = TestPaths.NewScratch("tokenizer-files");

    [OneTimeTearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private static IEnumerable<string> Texts() =>
        LlamaTokenizerVocabTests.Cases().Select(c => c.Text).Concat(["<s>Hi</s> there", "😀 漢字 \t\n x", "  spaces  "]);

    [Test]
    public void SentencePieceModelTokenisesLikeTheGguf()
    {
        string folder = Path.Combine(_dir, "spm");
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, "tokenizer.model");
        File.WriteAllBytes(path, WriteModelProto(Gguf.Vocabulary, modelType: 2));
        var spm = LlamaTokenizer.FromSentencePieceModel(path);
        Assert.Multiple(() =>
        {
            Assert.That(spm.VocabSize, Is.EqualTo(32000));
            Assert.That((spm.Bos, spm.Eos, spm.Unk, spm.AddSpacePrefix), Is.EqualTo((1, 2, 0, true)));
            foreach (var (text, ids) in LlamaTokenizerVocabTests.Cases())
                Assert.That(spm.Encode(text, false), Is.EqualTo(ids), LlamaTokenizerVocabTests.Escape(text));
            foreach (string text in Texts())
                Assert.That(spm.Encode(text, true, true), Is.EqualTo(Gguf.Encode(text, true, true)), LlamaTokenizerVocabTests.Escape(text));
        });
    }

    [Test]
    public void UnigramSentencePieceModelIsRefused()
    {
        string path = Path.Combine(_dir, "unigram.model");
        File.WriteAllBytes(path, WriteModelProto(Gguf.Vocabulary, modelType: 1));
        Assert.That(() => LlamaTokenizer.FromSentencePieceModel(path), Throws.TypeOf<NotSupportedException>().With.Message.Contains("UNIGRAM"));
    }

    [Test]
    public void TokenizerJsonTokenisesLikeTheGguf()
    {
        string folder = Path.Combine(_dir, "hf");
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, "tokenizer.json");
        File.WriteAllText(path, WriteTokenizerJson(Gguf.Vocabulary, byteFallback: true));
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["add_bos_token"] = true, ["add_eos_token"] = false, ["bos_token"] = "<s>", ["eos_token"] = new Dictionary<string, object> { ["content"] = "</s>" },
            ["chat_template"] = "{{ '<|user|>' + m + '<|endoftext|>' }}",
        }));
        var hf = LlamaTokenizer.FromTokenizerJson(path);
        Assert.Multiple(() =>
        {
            Assert.That((hf.Bos, hf.Eos, hf.Unk, hf.AddBos, hf.AddEos), Is.EqualTo((1, 2, 0, true, false)));
            Assert.That(hf.ChatTemplate, Does.Contain("<|user|>"));
            foreach (var (text, ids) in LlamaTokenizerVocabTests.Cases())
                Assert.That(hf.Encode(text, false), Is.EqualTo(ids), LlamaTokenizerVocabTests.Escape(text));
            foreach (string text in Texts())
                Assert.That(hf.Encode(text, true, true), Is.EqualTo(Gguf.Encode(text, true, true)), LlamaTokenizerVocabTests.Escape(text));
        });
    }

    [Test]
    public void OtherTokenizerModelsAreRefusedWithAClearMessage()
    {
        string path = Path.Combine(_dir, "wordpiece-tokenizer.json");
        File.WriteAllText(path, """{"model":{"type":"WordPiece","vocab":{"a":0}}}""");
        Assert.That(() => LlamaTokenizer.FromTokenizerJson(path), Throws.TypeOf<NotSupportedException>().With.Message.Contains("'WordPiece'"));

        string bert = Path.Combine(_dir, "bert.gguf");
        using (var stream = File.Create(bert))
            new GgufWriter().AddMetadata("tokenizer.ggml.model", "bert").AddMetadata("tokenizer.ggml.tokens", ["a", "b"])
                .Write(stream, (Func<int, ReadOnlyMemory<byte>>)(_ => ReadOnlyMemory<byte>.Empty));
        Assert.That(() => LlamaTokenizer.FromGguf(bert), Throws.TypeOf<NotSupportedException>().With.Message.Contains("'bert'"));

        string gpt2 = Path.Combine(_dir, "gpt2-without-merges.gguf");
        using (var stream = File.Create(gpt2))
            new GgufWriter().AddMetadata("tokenizer.ggml.model", "gpt2").AddMetadata("tokenizer.ggml.tokens", ["a", "b"])
                .Write(stream, (Func<int, ReadOnlyMemory<byte>>)(_ => ReadOnlyMemory<byte>.Empty));
        Assert.That(() => LlamaTokenizer.FromGguf(gpt2), Throws.TypeOf<Minerva.Native.Formats.ModelFormatException>().With.Message.Contains("merges"));
    }

    /// <summary>sentencepiece_model.proto ModelProto: pieces (1), trainer_spec (2: model_type 3, unk/bos/eos/pad 40..43), normalizer_spec (3).</summary>
    private static byte[] WriteModelProto(TokenizerVocabulary v, int modelType)
    {
        var model = new MemoryStream();
        for (int i = 0; i < v.Tokens.Count; i++)
        {
            var piece = new MemoryStream();
            LengthDelimited(piece, 1, Encoding.UTF8.GetBytes(v.Tokens[i]));
            Tag(piece, 2, 5); piece.Write(BitConverter.GetBytes(v.Scores[i]));
            if (v.Types[i] != TokenType.Normal) { Tag(piece, 3, 0); Varint(piece, (ulong)v.Types[i]); }
            LengthDelimited(model, 1, piece.ToArray());
        }
        var trainer = new MemoryStream();
        Tag(trainer, 3, 0); Varint(trainer, (ulong)modelType);
        Tag(trainer, 35, 0); Varint(trainer, 1); // byte_fallback, skipped by the reader
        Tag(trainer, 40, 0); Varint(trainer, 0);
        Tag(trainer, 41, 0); Varint(trainer, 1);
        Tag(trainer, 42, 0); Varint(trainer, 2);
        Tag(trainer, 43, 0); Varint(trainer, unchecked((ulong)-1L));
        LengthDelimited(model, 2, trainer.ToArray());
        var normalizer = new MemoryStream();
        LengthDelimited(normalizer, 1, "identity"u8.ToArray());
        Tag(normalizer, 3, 0); Varint(normalizer, 1);
        LengthDelimited(model, 3, normalizer.ToArray());
        return model.ToArray();
    }

    private static void Tag(Stream s, int field, int wire) => Varint(s, (ulong)(field << 3 | wire));
    private static void Varint(Stream s, ulong v)
    {
        for (; v >= 0x80; v >>= 7) s.WriteByte((byte)(v | 0x80));
        s.WriteByte((byte)v);
    }
    private static void LengthDelimited(Stream s, int field, byte[] payload)
    {
        Tag(s, field, 2); Varint(s, (ulong)payload.Length); s.Write(payload);
    }

    /// <summary>
    /// A Llama-style tokenizer.json: merges from the vocabulary by transformers' SentencePieceExtractor (every split of a
    /// piece into two pieces, ordered by the merged piece's score, highest first), special tokens as added_tokens.
    /// </summary>
    private static string WriteTokenizerJson(TokenizerVocabulary v, bool byteFallback)
    {
        var ids = new Dictionary<string, int>();
        for (int i = 0; i < v.Tokens.Count; i++) ids[v.Tokens[i]] = i;
        var merges = new List<(string L, string R, float Score, int LeftId, int RightId)>();
        foreach (var (piece, id) in ids)
        {
            var local = new List<(string, string, float, int, int)>();
            for (int k = 1; k < piece.Length; k++)
            {
                if (char.IsLowSurrogate(piece[k])) continue;
                if (ids.TryGetValue(piece[..k], out int l) && ids.TryGetValue(piece[k..], out int r)) local.Add((piece[..k], piece[k..], v.Scores[id], l, r));
            }
            merges.AddRange(local.OrderBy(m => m.Item4).ThenBy(m => m.Item5));
        }
        var ordered = merges.OrderByDescending(m => m.Score).Select(m => new[] { m.L, m.R }).ToList(); // stable, like sorted()
        var added = Enumerable.Range(0, v.Tokens.Count).Where(i => v.Types[i] is TokenType.Control or TokenType.Unknown)
            .Select(i => new Dictionary<string, object> { ["id"] = i, ["content"] = v.Tokens[i], ["special"] = true }).ToList();
        var json = new Dictionary<string, object?>
        {
            ["version"] = "1.0",
            ["added_tokens"] = added,
            ["normalizer"] = new Dictionary<string, object>
            {
                ["type"] = "Sequence",
                ["normalizers"] = new object[]
                {
                    new Dictionary<string, object> { ["type"] = "Prepend", ["prepend"] = "▁" },
                    new Dictionary<string, object> { ["type"] = "Replace", ["pattern"] = new Dictionary<string, object> { ["String"] = " " }, ["content"] = "▁" },
                },
            },
            ["pre_tokenizer"] = null,
            ["model"] = new Dictionary<string, object>
            {
                ["type"] = "BPE", ["unk_token"] = "<unk>", ["byte_fallback"] = byteFallback, ["fuse_unk"] = true,
                ["vocab"] = ids, ["merges"] = ordered,
            },
        };
        return JsonSerializer.Serialize(json);
    }
}
