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
    // Two bounds per type, on err(p) = max_i |ours(p,i) − llama.cpp(p,i)| / rms(llama.cpp(p)) over the 24 positions:
    //  - median: both engines compute the same rounded quantities (F16 K/V cache, F16-rounded query and attention
    //    weights, activations rounded to F16/BF16 or quantized to Q8_0/Q8_1/Q8_K by the same rules), so a typical
    //    position differs only by float summation order: ~4e-7 measured; bound 1e-5 for F32 and BF16.
    //  - max: where a value sits on a rounding boundary, the summation-order difference can flip one F16/BF16/Q8
    //    rounding, which moves the logits by up to one quantization step of that activation (measured: up to 8e-3 for
    //    BF16, 3e-2..7e-2 for the integer types); bound 1e-2 (F32, F16), 2e-2 (BF16), 1e-1 (quantized). A flip at one
    //    position reaches every later one through the KV cache, so for the integer types (many more rounding points)
    //    the median is not bounded separately (1: no bound); most positions still agree to ~5e-7 (printed).
    //  - the most likely token agrees at every position where llama.cpp's top-2 margin exceeds the max bound.
    //  F16 is the exception to the median bound: after position 0 llama.cpp's F16 model differs from ours by ~1.2e-3.
    //  llama.cpp is not consistent with itself there: its F16 logits for the same tokens differ by 5e-4..1e-3 between
    //  one batch and token-by-token decoding, depending on the position (BF16 and F32 agree to ~4e-7 both ways), while
    //  ours are the same either way (OurBatchAndTokenByTokenLogitsAgree). Bound 3e-3.
    [TestCase("f32", 1e-5, 1e-2)]
    [TestCase("f16", 3e-3, 1e-2)]
    [TestCase("bf16", 1e-5, 2e-2)]
    [TestCase("q8_0", 1.0, 1e-1)]
    [TestCase("q4_0", 1.0, 1e-1)]
    [TestCase("q4_1", 1.0, 1e-1)]
    [TestCase("q5_0", 1.0, 1e-1)]
    [TestCase("q5_1", 1.0, 1e-1)]
    [TestCase("q2_k", 1.0, 1e-1)]
    [TestCase("q3_k_m", 1.0, 1e-1)]
    [TestCase("q4_k_m", 1.0, 1e-1)]
    [TestCase("q5_k_m", 1.0, 1e-1)]
    [TestCase("q6_k", 1.0, 1e-1)]
    public void LogitsMatchLlamaCpp(string type, double medianBound, double maxBound)
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

        AssertMatches(type, reference, ours, vocab, medianBound, maxBound);
    }

    /// <summary>
    /// The comparison above for any model: per position, max |ours - llama.cpp| / rms(llama.cpp) within the bounds
    /// (median and worst), finite logits, and the same most likely token where llama.cpp's top-2 margin exceeds the max bound.
    /// </summary>
    internal static void AssertMatches(string label, float[][] reference, float[] ours, int vocab, double medianBound, double maxBound)
    {
        int count = reference.Length;
        var errors = new double[count];
        for (int p = 0; p < count; p++)
        {
            var r = reference[p];
            double rms = Math.Sqrt(r.Sum(v => (double)v * v) / r.Length);
            double max = 0;
            for (int i = 0; i < vocab; i++)
            {
                Assert.That(float.IsFinite(ours[p * vocab + i]), $"{label}: non-finite logit at position {p}, token {i}");
                max = Math.Max(max, Math.Abs(ours[p * vocab + i] - r[i]));
            }
            errors[p] = max / rms;
            var sorted = r.Order().ToArray();
            if (sorted[^1] - sorted[^2] > maxBound * rms)
                Assert.That(Array.IndexOf(ours, ours.AsSpan(p * vocab, vocab).ToArray().Max(), p * vocab, vocab) - p * vocab,
                    Is.EqualTo(Array.IndexOf(r, sorted[^1])), $"{label}: most likely token at position {p}");
        }
        double median = errors.Order().ElementAt(errors.Length / 2), worst = errors.Max();
        TestContext.Out.WriteLine($"{label}: median {median:E2}, max {worst:E2}: {string.Join(" ", errors.Select(e => e.ToString("E1")))}");
        Assert.That(median, Is.LessThanOrEqualTo(medianBound), $"{label}: median error {median:E3} x rms");
        Assert.That(worst, Is.LessThanOrEqualTo(maxBound), $"{label}: worst error {worst:E3} x rms");
    }

    [TestCase("f16")]
    [TestCase("bf16")]
    [TestCase("q4_k_m")]
    public void OurBatchAndTokenByTokenLogitsAgree(string type)
    {
        var tokens = TestModels.Tokens(12, ModelPreset.Tiny.VocabSize);
        using var model = LlamaModel.Load(TestModels.Gguf(type), new ModelOptions { Device = DeviceKind.Cpu, Threads = 2, ContextLength = 64 });
        int vocab = model.Config.VocabSize;
        var batch = new float[tokens.Length * vocab];
        using (var s = model.CreateSession()) s.EvaluateAll(tokens, batch);
        using var one = model.CreateSession();
        for (int p = 0; p < tokens.Length; p++)
        {
            var row = one.Evaluate(tokens.AsSpan(p, 1));
            double max = 0;
            for (int i = 0; i < vocab; i++) max = Math.Max(max, Math.Abs(row[i] - batch[p * vocab + i]));
            // Same roundings per row in both paths; only the thread split of float sums may differ.
            Assert.That(max, Is.LessThanOrEqualTo(1e-4), $"{type}: position {p}, batch vs token by token");
        }
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
