// A Hugging Face model folder with a byte-level BPE tokenizer.json smaller than config.json's vocab_size (as Qwen2.5
// ships): the vocabulary is padded with [PADn] UNUSED tokens, as llama.cpp's converter does, and the model opens.
using System.Text.Json;
using Minerva.Native.Model;
using Minerva.Native.Quantization;
using Minerva.Native.Tokenization;

namespace Minerva.Native.Tests.Tokenization;

[TestFixture]
public sealed class BpeHfFolderTests
{
    [Test]
    public void TokenizerJsonIsPaddedToTheModelVocabulary()
    {
        string folder = TestPaths.NewScratch("bpe-hf");
        try
        {
            SyntheticModels.Write(ModelPreset.Tiny, "safetensors", QuantMix.Parse("f32"), SyntheticModels.DefaultSeed, folder);
            File.Delete(Path.Combine(folder, "tokenizer.model"));
            var vocab = SyntheticBpeVocabulary.Create("qwen2", 900);
            SyntheticBpeVocabulary.WriteTokenizerJson(vocab, Path.Combine(folder, "tokenizer.json"));
            File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["bos_token"] = null, ["eos_token"] = "<|im_end|>", ["add_bos_token"] = false,
            }));

            using var source = ModelSource.Open(folder);
            var tok = source.Tokenizer;
            var direct = new LlamaTokenizer(vocab.ToTokenizerVocabulary());
            Assert.Multiple(() =>
            {
                Assert.That((tok.Kind, tok.VocabSize, tok.PreTokenizer), Is.EqualTo((TokenizerKind.Bpe, ModelPreset.Tiny.VocabSize, "qwen2")));
                Assert.That((tok.GetTokenText(1023), tok.GetTokenType(1023)), Is.EqualTo(("[PAD1023]", TokenType.Unused)));
                Assert.That((tok.Bos, tok.Eos, tok.AddBos), Is.EqualTo((-1, vocab.Eos, false)));
                foreach (string text in BpeTestTexts.Fixed)
                    Assert.That(tok.Encode(text, true, true), Is.EqualTo(direct.Encode(text, false, true)), BpeTestTexts.Escape(text));
            });
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
