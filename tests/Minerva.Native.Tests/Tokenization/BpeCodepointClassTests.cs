// Every code point's class (letter, number, whitespace, punctuation, other) as llama.cpp's pre-tokenizers see it, made
// visible by a probe vocabulary whose only merges join "a" or "1" with a lead byte, or a last byte with "!".
using System.Text;
using Minerva.Native.Formats.Gguf;
using Minerva.Native.Model;
using Minerva.Native.Tokenization;

namespace Minerva.Native.Tests.Tokenization;

[TestFixture]
public sealed class BpeCodepointClassTests
{
    private string _dir = "";

    [OneTimeSetUp]
    public void Setup() => _dir = TestPaths.NewScratch("bpe-probe");

    [OneTimeTearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// Per code point X, llama-bpe texts "aX", "1X", "X!" merge across X only when X is a letter, a number or neither
    /// (not whitespace); the default pre-tokenizer's "X!" merges only when X is punctuation. All 1,112,064 code points.
    /// </summary>
    [TestCase("llama-bpe")]
    [TestCase("default")]
    public void EveryCodepointSplitsLikeLlamaCpp(string pre)
    {
        string path = WriteProbeVocabulary(pre);
        var cpp = LlamaCppReference.Get(path);
        var ours = LlamaTokenizer.FromGguf(path);
        var codepoints = Enumerable.Range(0x80, 0x110000 - 0x80).Where(cp => cp is < 0xD800 or > 0xDFFF).ToArray();
        var mismatches = new List<string>();
        foreach (int[] chunk in codepoints.Chunk(2000))
        {
            if (ours.Encode(Probe(chunk, pre), false).SequenceEqual(cpp.Tokenize(Probe(chunk, pre), false, false))) continue;
            foreach (int cp in chunk)
                if (!ours.Encode(Probe([cp], pre), false).SequenceEqual(cpp.Tokenize(Probe([cp], pre), false, false)))
                    mismatches.Add($"U+{cp:X4}");
        }
        Assert.That(mismatches.Take(50), Is.Empty, $"{mismatches.Count} code points split differently");
    }

    private static string Probe(IEnumerable<int> codepoints, string pre)
    {
        var sb = new StringBuilder();
        foreach (int cp in codepoints)
        {
            string x = char.ConvertFromUtf32(cp);
            if (pre == "default") sb.Append(x).Append("!\n");
            else sb.Append('a').Append(x).Append("\n1").Append(x).Append('\n').Append(x).Append("!\n");
        }
        return sb.ToString();
    }

    private string WriteProbeVocabulary(string pre)
    {
        string Char(int b) => SyntheticBpeVocabulary.ByteToken((byte)b);
        var merges = new List<(string Left, string Right)>();
        for (int b = 0xC2; b <= 0xF4; b++) merges.AddRange([("a", Char(b)), ("1", Char(b))]);
        for (int b = 0x80; b <= 0xBF; b++) merges.Add((Char(b), "!"));
        var tokens = Enumerable.Range(0, 256).Select(Char).Concat(merges.Select(m => m.Left + m.Right)).Append("<|end|>").ToArray();
        int[] types = [.. tokens.Select((_, i) => i == tokens.Length - 1 ? (int)TokenType.Control : (int)TokenType.Normal)];
        var w = new GgufWriter();
        GgufLlamaMetadata.AddHyperparameters(w, new LlamaConfig
        {
            Architecture = "llama", Name = "bpe-probe", VocabSize = tokens.Length, HiddenSize = 64, Layers = 1, Heads = 1, KvHeads = 1,
            FfnSize = 64, ContextLength = 64,
        });
        GgufLlamaMetadata.AddBpeTokenizer(w, pre, tokens, types, [.. merges.Select(m => m.Left + " " + m.Right)],
            bos: tokens.Length - 1, eos: tokens.Length - 1, pad: -1, addBos: false, chatTemplate: null);
        string path = Path.Combine(_dir, $"probe-{pre}.gguf");
        using (var stream = File.Create(path)) w.Write(stream, (Func<int, ReadOnlyMemory<byte>>)(_ => ReadOnlyMemory<byte>.Empty));
        return path;
    }
}
