using Minerva.Native.Model;
using Minerva.Native.Tests.Reference;

namespace Minerva.Native.Tests.Model;

/// <summary>
/// Our CPU logits against llama.cpp's for the same GGUF file and token sequence (every position of a 24-token batch),
/// and greedy generation. Error is max |ours − llama.cpp| over a position's logits, divided by the RMS of llama.cpp's logits.
/// </summary>
[NonParallelizable]
public class LogitsVsLlamaCppTests
{
    // Tolerances: both engines compute the same rounded quantities (F16 K/V cache and F16-rounded attention weights,
    // activations rounded to F16/BF16 for those weights or quantized to Q8_0/Q8_1/Q8_K for integer dot products, by the
    // same rules); what differs is the order of float summation (SIMD lane and thread split), about 1e-6 relative per
    // dot product. For quantized weights a last-bit difference in an activation can move one Q8 rounding, which moves
    // a logit by up to one quantization step of that activation: hence the looser bound.
    [TestCase("f32", 2e-3)]
    [TestCase("f16", 2e-3)]
    [TestCase("bf16", 2e-3)]
    [TestCase("q8_0", 1e-2)]
    [TestCase("q4_0", 1e-2)]
    [TestCase("q4_1", 1e-2)]
    [TestCase("q5_0", 1e-2)]
    [TestCase("q5_1", 1e-2)]
    [TestCase("q2_k", 1e-2)]
    [TestCase("q3_k_m", 1e-2)]
    [TestCase("q4_k_m", 1e-2)]
    [TestCase("q5_k_m", 1e-2)]
    [TestCase("q6_k", 1e-2)]
    public void LogitsMatchLlamaCpp(string type, double tolerance)
    {
        string path = TestModels.Gguf(type);
        var tokens = TestModels.Tokens(24, ModelPreset.Tiny.VocabSize);
        float[][] reference;
        using (var cpp = new LlamaCppModel(path)) reference = cpp.Logits(tokens);

        using var model = LlamaModel.Load(path, new ModelOptions { Device = DeviceKind.Cpu, Threads = 2, ContextLength = 128 });
        using var session = model.CreateSession();
        int vocab = model.Config.VocabSize;
        var ours = new float[tokens.Length * vocab];
        session.EvaluateAll(tokens, ours);

        double worst = 0;
        for (int p = 0; p < tokens.Length; p++)
        {
            var r = reference[p];
            double rms = Math.Sqrt(r.Sum(v => (double)v * v) / r.Length);
            double max = 0;
            for (int i = 0; i < vocab; i++)
            {
                Assert.That(float.IsFinite(ours[p * vocab + i]), $"{type}: non-finite logit at position {p}, token {i}");
                max = Math.Max(max, Math.Abs(ours[p * vocab + i] - r[i]));
            }
            worst = Math.Max(worst, max / rms);
        }
        TestContext.Out.WriteLine($"{type}: worst max|Δ|/rms = {worst:E3}");
        Assert.That(worst, Is.LessThanOrEqualTo(tolerance), $"{type}: logits differ from llama.cpp by {worst:E3} x rms");
    }

    [TestCase("f32")]
    [TestCase("f16")]
    public void GreedyGenerationIsIdenticalToLlamaCpp(string type)
    {
        string path = TestModels.Gguf(type);
        var prompt = TestModels.Tokens(8, ModelPreset.Tiny.VocabSize);
        int[] expected;
        using (var cpp = new LlamaCppModel(path)) expected = cpp.Greedy(prompt, 32);

        using var model = LlamaModel.Load(path, new ModelOptions { Device = DeviceKind.Cpu, Threads = 2, ContextLength = 128 });
        using var session = model.CreateSession();
        var ours = session.GenerateTokens(prompt, Generation.GenerationOptions.Greedy with { MaxTokens = 32, IgnoreEos = true }).ToArray();
        Assert.That(ours, Is.EqualTo(expected));
    }

    [Test]
    public void SafeTensorsAndGgufGiveTheSameLogits()
    {
        var tokens = TestModels.Tokens(16, ModelPreset.Tiny.VocabSize);
        float[] Run(string path)
        {
            using var model = LlamaModel.Load(path, new ModelOptions { Device = DeviceKind.Cpu, Threads = 2, ContextLength = 64 });
            using var session = model.CreateSession();
            var logits = new float[tokens.Length * model.Config.VocabSize];
            session.EvaluateAll(tokens, logits);
            return logits;
        }
        var gguf = Run(TestModels.Gguf("f32"));
        var st = Run(TestModels.SafeTensors("f32"));
        double max = 0;
        for (int i = 0; i < gguf.Length; i++) max = Math.Max(max, Math.Abs(gguf[i] - st[i]));
        Assert.That(max, Is.LessThanOrEqualTo(1e-5), "the same weights in GGUF (permuted Q/K, interleaved RoPE) and safetensors (HF order, half-split RoPE)");
    }
}
