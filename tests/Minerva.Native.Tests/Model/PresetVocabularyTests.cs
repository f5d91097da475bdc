// The make-model presets of today's families write byte-level BPE vocabularies and chat templates that llama.cpp reads
// as we do: a chat prompt tokenizes to the same ids, the model's first logits agree, and the safetensors form tokenizes
// the same as the GGUF form. The presets' vocabularies on a one-layer, 64-wide body keep the files small.
using Minerva.Native.Model;
using Minerva.Native.Quantization;
using Minerva.Native.Tests.Reference;
using Minerva.Native.Tokenization;

namespace Minerva.Native.Tests.Model;

[NonParallelizable]
public class PresetVocabularyTests
{
    [TestCase("llama-3.2-1b", "llama3")]
    [TestCase("smollm2-135m", "chatml")]
    [TestCase("qwen2.5-0.5b", "chatml")]
    public void ChatPromptsTokenizeAndRunAsInLlamaCpp(string preset, string family)
    {
        var config = ModelPreset.Get(preset) with { HiddenSize = 64, Layers = 1, FfnSize = 128, ContextLength = 256 };
        if (config.Heads * 16 != 64) config = config with { Heads = 4, KvHeads = config.Architecture == "qwen2" ? 2 : config.KvHeads % 4 == 0 ? 4 : 1 };
        string dir = TestPaths.NewScratch("preset-vocab"), gguf = Path.Combine(dir, "m.gguf"), hf = Path.Combine(dir, "hf");
        SyntheticModels.Write(config, "gguf", QuantMix.Parse("f32"), SyntheticModels.DefaultSeed, gguf, tokenizer: ModelPreset.TokenizerFor(preset));
        SyntheticModels.Write(config, "safetensors", QuantMix.Parse("f32"), SyntheticModels.DefaultSeed, hf, tokenizer: ModelPreset.TokenizerFor(preset));

        using var model = LlamaModel.Load(gguf, new ModelOptions { Device = DeviceKind.Cpu, Threads = 2, ContextLength = 128 });
        Assert.That(model.Tokenizer.Kind, Is.EqualTo(TokenizerKind.Bpe));
        Assert.That(ChatTemplate.Detect(model.Tokenizer.ChatTemplate!), Is.EqualTo(family == "llama3" ? ChatTemplateFamily.Llama3 : ChatTemplateFamily.ChatMl));
        string prompt = ChatTemplate.Apply(model.Tokenizer.ChatTemplate, [new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi there, 123!")], addAssistantPrompt: true);
        int[] ids = model.Tokenizer.Encode(prompt, model.Tokenizer.AddBos, parseSpecial: true);

        using (var cpp = new LlamaCppModel(gguf))
        {
            Assert.That(ids, Is.EqualTo(cpp.Tokenize(prompt, model.Tokenizer.AddBos, special: true)), "chat prompt ids");
            var theirs = cpp.Logits(ids)[^1];
            using var session = model.CreateSession();
            var ours = session.Evaluate(ids).ToArray();
            double rms = Math.Sqrt(theirs.Sum(v => (double)v * v) / theirs.Length);
            double max = ours.Select((v, i) => Math.Abs(v - theirs[i])).Max();
            Assert.That(max / rms, Is.LessThanOrEqualTo(1e-2), "last-position logits against llama.cpp");
        }
        using var st = LlamaModel.Load(hf, new ModelOptions { Device = DeviceKind.Cpu, Threads = 2, ContextLength = 128 });
        Assert.That(st.Tokenizer.Encode(prompt, st.Tokenizer.AddBos, parseSpecial: true), Is.EqualTo(ids), "safetensors tokenizer.json + tokenizer_config.json");
        Assert.That(st.Tokenizer.IsEog(family == "llama3" ? 128009 : st.Tokenizer.Eos), "end of turn stops generation");
    }
}
