using Minerva.Native.Generation;
using Minerva.Native.Tests.Reference;

namespace Minerva.Native.Tests.Model;

/// <summary>
/// `perplexity` against the same computation on llama.cpp's logits: llama.cpp's perplexity tool (chunks of n_ctx tokens,
/// BOS replacing each chunk's first token, only the second half scored, log-softmax with a double sum) applied to
/// the logits llama.cpp gives for each chunk.
/// </summary>
[NonParallelizable]
public class PerplexityTests
{
    [Test]
    public void PerplexityMatchesLlamaCppLogitsThroughLlamaCppsFormula()
    {
        string path = TestModels.Gguf("f16");
        string text = string.Concat(Enumerable.Range(0, 60).Select(i => $"the world {i} was one story of water and people. "));
        const int ctx = 64;

        using var model = LlamaModel.Load(path, new ModelOptions { Device = DeviceKind.Cpu, Threads = 2, ContextLength = ctx });
        var ours = Perplexity.Compute(model, text, ctx).ToList();

        int[] tokens = model.Tokenizer.Encode(text, addBos: true);
        int chunks = tokens.Length / ctx;
        Assert.That(ours, Has.Count.EqualTo(chunks));
        double nll = 0;
        long count = 0;
        for (int c = 0; c < chunks; c++)
        {
            var chunk = tokens.AsSpan(c * ctx, ctx).ToArray();
            chunk[0] = model.Tokenizer.Bos;
            using var fresh = new LlamaCppModel(path, contextLength: ctx);
            var logits = fresh.Logits(chunk);
            for (int j = ctx / 2; j < ctx - 1; j++)
            {
                var row = logits[j];
                float max = row.Max();
                double sum = 0;
                foreach (float v in row) sum += MathF.Exp(v - max);
                nll -= row[chunk[j + 1]] - max - Math.Log(sum);
                count++;
            }
            double expected = Math.Exp(nll / count);
            // Logits agree to ~1e-3 of their RMS (LogitsVsLlamaCppTests); over 31 scored tokens per chunk that moves the
            // perplexity by well under 0.5 %.
            Assert.That(ours[c].RunningPerplexity, Is.EqualTo(expected).Within(0.5).Percent, $"after chunk {c + 1}");
        }
    }

    [Test]
    public void TooShortTextIsAClearError()
    {
        using var model = LlamaModel.Load(TestModels.Gguf("f32"), new ModelOptions { Device = DeviceKind.Cpu, ContextLength = 64 });
        var e = Assert.Throws<InvalidOperationException>(() => Perplexity.Compute(model, "short", 64).ToList());
        Assert.That(e!.Message, Does.Contain("at least 64"));
    }
}
