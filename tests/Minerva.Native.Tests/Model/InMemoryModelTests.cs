// The in-memory variants the GPU model tests compare with the CPU backend, run on the CPU alone: each feature really
// changes the logits (so the GPU comparison tests something), and a window covering the prompt changes nothing.
using Minerva.Native.Backends.Cpu;
using Minerva.Native.Model;
using Minerva.Native.Tensors;
using Minerva.Native.Tests.Cuda;

namespace Minerva.Native.Tests.Model;

public class InMemoryModelTests
{
    private static float[] Logits(LlamaConfig config, int[] tokens, float[]? freqs = null, bool decode = false, bool withoutBiases = false)
    {
        using var model = new InMemoryModel(config, GgmlType.F32, freqs, withoutBiases);
        using var cpu = new CpuBackend(threads: 2);
        return model.Logits(cpu, tokens, decode, tokens.Length + 8);
    }

    private static float[] Row(float[] all, int vocab, int position) => all.AsSpan(position * vocab, vocab).ToArray();

    [Test]
    public void WindowCoveringThePromptIsFullAttentionAndASmallerOneOnlyChangesLaterPositions()
    {
        var c = ModelPreset.Tiny with { Layers = 1 };
        var tokens = TestModels.Tokens(24, c.VocabSize);
        var full = Logits(c, tokens);
        Assert.That(full.All(float.IsFinite));
        Assert.That(Logits(c with { SlidingWindow = 24 }, tokens), Is.EqualTo(full), "window = prompt");
        Assert.That(Logits(c with { SlidingWindow = 1000 }, tokens), Is.EqualTo(full), "window > context");
        var windowed = Logits(c with { SlidingWindow = 6 }, tokens);
        for (int p = 0; p < 6; p++)
            Assert.That(Row(windowed, c.VocabSize, p), Is.EqualTo(Row(full, c.VocabSize, p)), $"position {p} sees all of its {p + 1} positions");
        for (int p = 6; p < tokens.Length; p++)
            Assert.That(Row(windowed, c.VocabSize, p), Is.Not.EqualTo(Row(full, c.VocabSize, p)), $"position {p} sees only 6 of {p + 1}");
    }

    [TestCase("qwen2")]
    [TestCase("head-dim-128")]
    [TestCase("head-dim-48")]
    [TestCase("window-40")]
    [TestCase("llama3-freqs")]
    public void EveryGpuVariantDiffersFromThePlainTinyModelAndDecodesLikeItPrefills(string name)
    {
        var (config, freqs, count) = CudaArchitectureTests.Variant(name);
        var tokens = TestModels.Tokens(count, config.VocabSize);
        var logits = Logits(config, tokens, freqs);
        Assert.That(logits.All(float.IsFinite), "finite logits");
        // The feature (the biases of the same weights, the head size, the window, the freq factors) must move the logits
        // well beyond the GPU-vs-CPU bound (2e-2), or a GPU that ignored it would pass.
        var plain = config with { HeadDimension = 0, SlidingWindow = 0 };
        double effect = CudaModelTests.RelativeError(name, logits, Logits(plain, tokens, withoutBiases: true), config.VocabSize);
        TestContext.Out.WriteLine($"{name}: max |plain − variant| / rms = {effect:E3}");
        Assert.That(effect, Is.GreaterThan(0.1), $"{name}: the feature hardly changes the logits");
        CudaModelTests.Compare($"{name}: CPU decode vs prefill", logits, Logits(config, tokens, freqs, decode: true), config.VocabSize, 1e-3);
    }
}
