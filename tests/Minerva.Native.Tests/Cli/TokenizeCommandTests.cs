// `minerva-native tokenize` on llama.cpp's vocabulary-only GGUFs prints llama.cpp's ids (BOS as each vocabulary adds it).
using Minerva.Native.Tests.Tokenization;

namespace Minerva.Native.Tests.Cli;

[TestFixture]
public sealed class TokenizeCommandTests
{
    [TestCase("llama-bpe", "[128000, 9906, 1917]")]
    [TestCase("gpt-2", "[15496, 995]")]
    [TestCase("llama-spm", "[1, 15043, 3186]")]
    public void VocabularyOnlyGgufPrintsLlamaCppIds(string vocab, string expected)
    {
        var r = CliProcess.Run("tokenize", "-m", BpeTestTexts.VocabPath(vocab), "--ids", "Hello world");
        Assert.That((r.ExitCode, r.StdOut.Trim()), Is.EqualTo((0, expected)), r.StdErr);
    }

    [Test]
    public void PiecesAreTheDecodedBytes()
    {
        var r = CliProcess.Run("tokenize", "-m", BpeTestTexts.VocabPath("llama-bpe"), "--no-bos", "Hello world");
        Assert.That(r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()),
            Is.EqualTo(new[] { "9906 -> 'Hello'", "1917 -> ' world'" }), r.StdErr);
    }
}
