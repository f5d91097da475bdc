// Reads a real llama.cpp-distributed vocabulary GGUF (ggml-vocab-llama-spm.gguf) and checks it against values known from the file.
using Minerva.Native.Formats.Gguf;

namespace Minerva.Native.Tests.Formats.Gguf;

public class GgufVocabFileTests
{
    private static string VocabPath => TestPaths.SharedTestData("tokenizer", "ggml-vocab-llama-spm.gguf");

    [Test]
    public void ReadsLlamaSpmVocabulary()
    {
        if (!File.Exists(VocabPath)) Assert.Ignore($"{VocabPath} not present");
        using var file = GgufFile.Open(VocabPath);
        Assert.Multiple(() =>
        {
            Assert.That(file.Version, Is.EqualTo(3u));
            Assert.That(file.Tensors, Is.Empty);
            Assert.That(file.Metadata, Has.Count.EqualTo(22));
            Assert.That(file.GetString("general.architecture"), Is.EqualTo("llama"));
            Assert.That(file.GetString("tokenizer.ggml.model"), Is.EqualTo("llama"));
            Assert.That(file.GetUInt32("llama.block_count"), Is.EqualTo(32u));
            Assert.That(file.GetInt32("llama.vocab_size"), Is.EqualTo(32000));
            Assert.That(file.GetUInt32("tokenizer.ggml.bos_token_id"), Is.EqualTo(1u));
            Assert.That(file.GetUInt32("tokenizer.ggml.eos_token_id"), Is.EqualTo(2u));
            Assert.That(file.GetBool("tokenizer.ggml.add_bos_token"), Is.True);
            Assert.That(file.GetBool("tokenizer.ggml.add_eos_token"), Is.False);
            Assert.That(file.GetFloat32("llama.attention.layer_norm_rms_epsilon"), Is.EqualTo(1e-5f));
        });
        string[] tokens = file.GetStringArray("tokenizer.ggml.tokens");
        float[] scores = file.GetFloat32Array("tokenizer.ggml.scores");
        int[] types = file.GetInt32Array("tokenizer.ggml.token_type");
        Assert.Multiple(() =>
        {
            Assert.That(tokens, Has.Length.EqualTo(32000));
            Assert.That(scores, Has.Length.EqualTo(32000));
            Assert.That(types, Has.Length.EqualTo(32000));
            Assert.That(tokens[0], Is.EqualTo("<unk>"));
            Assert.That(tokens[1], Is.EqualTo("<s>"));
            Assert.That(tokens[2], Is.EqualTo("</s>"));
            Assert.That(tokens[15043], Is.EqualTo("\u2581Hello"));
            Assert.That(tokens[259], Is.EqualTo("\u2581\u2581"));
            Assert.That(types[0], Is.EqualTo(2)); // UNKNOWN
            Assert.That(types[1], Is.EqualTo(3)); // CONTROL
            Assert.That(types[3], Is.EqualTo(6)); // BYTE <0x00>
            Assert.That(tokens[3], Is.EqualTo("<0x00>"));
        });
    }

    [Test]
    public void MissingKeyAndWrongTypeAreFormatErrors()
    {
        if (!File.Exists(VocabPath)) Assert.Ignore($"{VocabPath} not present");
        using var file = GgufFile.Open(VocabPath);
        Assert.Multiple(() =>
        {
            Assert.That(file.TryGetUInt32("no.such.key", out _), Is.False);
            Assert.Throws<Minerva.Native.Formats.ModelFormatException>(() => file.GetUInt32("no.such.key"));
            var e = Assert.Throws<Minerva.Native.Formats.ModelFormatException>(() => file.GetUInt32("general.name"));
            Assert.That(e!.Offset, Is.GreaterThan(24));
            Assert.Throws<Minerva.Native.Formats.ModelFormatException>(() => file.GetStringArray("tokenizer.ggml.scores"));
        });
    }
}
