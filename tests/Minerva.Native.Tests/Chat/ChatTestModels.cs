// The models the chat client tests run: the tiny SentencePiece model (TinyLlama's template, which llama.cpp formats as
// glmedge; "</s>" is EOS) and a one-layer Qwen2-shaped model with the preset's byte-level BPE vocabulary cut to 1024
// tokens (ChatML; "<|im_end|>" ends a turn).
using Minerva.Native.Model;
using Minerva.Native.Quantization;
using Minerva.Native.Tests.Model;

namespace Minerva.Native.Tests.Chat;

internal static class ChatTestModels
{
    private static readonly Lazy<string> ChatMlPath = new(() =>
    {
        var config = ModelPreset.Get("qwen2.5-0.5b") with { VocabSize = 1024, HiddenSize = 64, Layers = 1, Heads = 4, KvHeads = 2, FfnSize = 128, ContextLength = 256 };
        string path = Path.Combine(TestPaths.NewScratch("chat-chatml"), "qwen2-chatml.gguf");
        SyntheticModels.Write(config, "gguf", QuantMix.Parse("q8_0"), SyntheticModels.DefaultSeed, path, tokenizer: ModelPreset.TokenizerFor("qwen2.5-0.5b"));
        return path;
    });

    public static LlamaModel Tiny(int maxSequences = 4) =>
        LlamaModel.Load(TestModels.Gguf("q8_0"), new ModelOptions { Device = DeviceKind.Cpu, Threads = 2, MaxSequences = maxSequences, ContextLength = 256 });

    public static LlamaModel ChatMl() =>
        LlamaModel.Load(ChatMlPath.Value, new ModelOptions { Device = DeviceKind.Cpu, Threads = 2, MaxSequences = 2, ContextLength = 256 });
}
