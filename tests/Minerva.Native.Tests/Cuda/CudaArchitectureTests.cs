// The whole model on the GPU against the CPU backend for the Llama-family variants the file writers do not produce yet
// (in-memory synthetic weights): Qwen2 biases with neox RoPE, an explicit head size, a sliding window, Llama 3 freq factors.
using Minerva.Native.Backends.Cpu;
using Minerva.Native.Backends.Cuda;
using Minerva.Native.Model;
using Minerva.Native.Tensors;
using Minerva.Native.Tests.Model;

namespace Minerva.Native.Tests.Cuda;

[Category("Gpu")]
public class CudaArchitectureTests
{
    [OneTimeSetUp]
    public void RequireGpu()
    {
        var probe = CudaDevice.Probe();
        if (!probe.IsAvailable) Assert.Ignore($"no CUDA GPU: {probe.Reason}");
    }

    /// <summary>The variants: name, config, freq factors (or null), prompt length.</summary>
    internal static (LlamaConfig Config, float[]? Freqs, int Tokens) Variant(string name) => name switch
    {
        // Qwen2: Q/K/V biases, HF row order with neox (HalfSplit) RoPE, tied embeddings
        "qwen2" => (ModelPreset.Tiny with { Architecture = "qwen2", Name = "tiny-qwen2", AttentionBias = true, TiedEmbeddings = true, RopeTheta = 1000000f }, null, 20),
        // Mistral-Nemo-like: head size set explicitly, heads x head dim (512) wider than hidden (256); Wo is [256, 512]
        "head-dim-128" => (ModelPreset.Tiny with { HeadDimension = 128 }, null, 20),
        // heads x head dim (192) narrower than hidden (256)
        "head-dim-48" => (ModelPreset.Tiny with { HeadDimension = 48 }, null, 20),
        // Mistral v0.1-like sliding window of 40 over 200 tokens: from position 167 on, whole decode splits (128 keys) lie before it
        "window-40" => (ModelPreset.Tiny with { Architecture = "mistral", SlidingWindow = 40 }, null, 200),
        // Llama 3.1 RoPE: theta 500000 and rope_freqs, the original context scaled from 8192 down to 32 so that the factors
        // (1 to 8) move the logits of 20 positions far beyond the bound (with 8192 they would change them by ~1 %)
        "llama3-freqs" => (ModelPreset.Tiny with { RopeTheta = 500000f, RopeScaling = "llama3" }, InMemoryModel.Llama3FreqFactors(ModelPreset.Tiny.HeadDim, 500000f, original: 32), 20),
        _ => throw new ArgumentException(name),
    };

    // Bound on max |gpu − cpu| / rms(cpu) as CudaModelTests for F32 (measured 1.3e-3 on the H200) and F16 (3.8e-3) weights.
    [TestCase("qwen2", GgmlType.F32)]
    [TestCase("qwen2", GgmlType.F16)]
    [TestCase("head-dim-128", GgmlType.F32)]
    [TestCase("head-dim-48", GgmlType.F16)]
    [TestCase("window-40", GgmlType.F32)]
    [TestCase("llama3-freqs", GgmlType.F32)]
    public void GpuLogitsAgreeWithCpu(string variant, GgmlType matrixType)
    {
        var (config, freqs, count) = Variant(variant);
        using var model = new InMemoryModel(config, matrixType, freqs);
        var tokens = TestModels.Tokens(count, config.VocabSize);
        int ctx = count + 56;
        float[] cpu;
        using (var backend = new CpuBackend(threads: 2)) cpu = model.Logits(backend, tokens, decode: false, ctx);
        using var gpu = CudaBackend.Create();
        foreach (bool decode in new[] { false, true })
            CudaModelTests.Compare($"{variant} {matrixType} {(decode ? "decode" : "prefill")}", cpu, model.Logits(gpu, tokens, decode, ctx), config.VocabSize, 2e-2);
        if (gpu.UseGraphs) Assert.That(gpu.GraphReplays, Is.GreaterThan(0), "decode steps should replay a captured CUDA graph");
    }
}
