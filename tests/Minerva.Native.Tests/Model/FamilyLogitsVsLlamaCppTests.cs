// The shapes of today's Llama family (Llama 3's rope_freqs, an explicit head size, Qwen2's biases with neox RoPE and tied
// embeddings) as tiny synthetic models: our CPU logits against llama.cpp's on the same GGUF at every position, greedy
// generation, and the same weights as GGUF and as safetensors. Bounds are LogitsVsLlamaCppTests' per type.
using Minerva.Native.Model;
using Minerva.Native.Tests.Reference;

namespace Minerva.Native.Tests.Model;

[NonParallelizable]
public class FamilyLogitsVsLlamaCppTests
{
    internal static readonly Dictionary<string, LlamaConfig> Shapes = new()
    {
        // theta 500000 and an original context of 64: the pairs fall in all three bands of the llama3 rule
        ["llama3"] = ModelPreset.Tiny with
        {
            Name = "tiny-llama3", RopeTheta = 500000f, TiedEmbeddings = true, Llama3Rope = new Llama3RopeScaling(8f, 1f, 4f, 64),
        },
        // Mistral-Nemo's kind: 4 heads of 128 on a 256-wide model (Q is 512 wide, Wo is [256, 512])
        ["headdim"] = ModelPreset.Tiny with { Name = "tiny-headdim", HeadDimension = 128 },
        ["qwen2"] = ModelPreset.Tiny with
        {
            Name = "tiny-qwen2", Architecture = "qwen2", AttentionBias = true, TiedEmbeddings = true, RopeTheta = 1000000f, RmsEpsilon = 1e-6f,
        },
    };

    private static float[] OurLogits(string path, int[] tokens)
    {
        using var model = LlamaModel.Load(path, new ModelOptions { Device = DeviceKind.Cpu, Threads = 2, ContextLength = 128 });
        using var session = model.CreateSession();
        var logits = new float[tokens.Length * model.Config.VocabSize];
        session.EvaluateAll(tokens, logits);
        return logits;
    }

    // F32's median bound is 1e-4 here, not LogitsVsLlamaCppTests' 1e-5: these shapes have more F16 rounding points per
    // position (128-wide heads, 500000-theta angles), and a flipped F16 rounding of q, K/V or a probability at one position
    // reaches every later one through the cache (measured: 7e-7..1e-6 up to the first flip, then 1e-5..6e-4).
    [TestCase("llama3", "f32", 1e-4, 1e-2)]
    [TestCase("llama3", "q4_k_m", 1.0, 1e-1)]
    [TestCase("headdim", "f32", 1e-4, 1e-2)]
    [TestCase("headdim", "q4_k_m", 1.0, 1e-1)]
    [TestCase("qwen2", "f32", 1e-4, 1e-2)]
    [TestCase("qwen2", "q8_0", 1.0, 1e-1)]
    public void LogitsMatchLlamaCpp(string shape, string type, double medianBound, double maxBound)
    {
        var config = Shapes[shape];
        string path = TestModels.Gguf(type, config, config.Name!);
        var tokens = TestModels.Tokens(24, config.VocabSize);
        float[][] reference;
        using (var cpp = new LlamaCppModel(path)) reference = cpp.Logits(tokens);
        var ours = OurLogits(path, tokens);

        LogitsVsLlamaCppTests.AssertMatches($"{shape} {type}", reference, ours, config.VocabSize, medianBound, maxBound);
    }

    [TestCase("llama3")]
    [TestCase("headdim")]
    [TestCase("qwen2")]
    public void GreedyGenerationIsIdenticalToLlamaCpp(string shape)
    {
        var config = Shapes[shape];
        string path = TestModels.Gguf("f32", config, config.Name!);
        var prompt = TestModels.Tokens(8, config.VocabSize);
        int[] expected;
        using (var cpp = new LlamaCppModel(path)) expected = cpp.Greedy(prompt, 32);
        using var model = LlamaModel.Load(path, new ModelOptions { Device = DeviceKind.Cpu, Threads = 2, ContextLength = 128 });
        using var session = model.CreateSession();
        var ours = session.GenerateTokens(prompt, Generation.GenerationOptions.Greedy with { MaxTokens = 32, IgnoreEos = true }).ToArray();
        Assert.That(ours, Is.EqualTo(expected));
    }

    [TestCase("llama3")]
    [TestCase("headdim")]
    [TestCase("qwen2")]
    public void SafeTensorsAndGgufGiveTheSameLogits(string shape)
    {
        var config = Shapes[shape];
        var tokens = TestModels.Tokens(16, config.VocabSize);
        var gguf = OurLogits(TestModels.Gguf("f32", config, config.Name!), tokens);
        var st = OurLogits(TestModels.SafeTensors("f32", config, config.Name!), tokens);
        double max = 0;
        for (int i = 0; i < gguf.Length; i++) max = Math.Max(max, Math.Abs(gguf[i] - st[i]));
        Assert.That(max, Is.LessThanOrEqualTo(1e-5), $"{shape}: GGUF (llama.cpp's layout) vs safetensors (Hugging Face's)");
    }

    [Test]
    public void ASlidingWindowLimitsAttentionToTheLastPositions()
    {
        // llama.cpp runs Mistral v0.1 GGUFs (llama architecture) with full attention, so the window is checked against
        // its definition: a window at least as long as the sequence changes nothing; a short one changes only the
        // positions that have more than `window` predecessors.
        const int window = 6;
        var tokens = TestModels.Tokens(20, ModelPreset.Tiny.VocabSize);
        var full = OurLogits(TestModels.Gguf("f32"), tokens);
        var wide = OurLogits(TestModels.Gguf("f32", ModelPreset.Tiny with { SlidingWindow = 64 }, "tiny-swa64"), tokens);
        var narrow = OurLogits(TestModels.Gguf("f32", ModelPreset.Tiny with { SlidingWindow = window }, "tiny-swa6"), tokens);
        int vocab = ModelPreset.Tiny.VocabSize;
        Assert.That(wide, Is.EqualTo(full), "a window longer than the sequence");
        for (int p = 0; p < tokens.Length; p++)
        {
            bool same = full.AsSpan(p * vocab, vocab).SequenceEqual(narrow.AsSpan(p * vocab, vocab));
            Assert.That(same, Is.EqualTo(p < window), $"position {p}");
        }
    }
}
