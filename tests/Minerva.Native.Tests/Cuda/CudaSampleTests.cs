using Minerva.Native.Execution;
using Minerva.Native.Generation;

namespace Minerva.Native.Tests.Cuda;

/// <summary>The device sampler (top-k → top-p → min-p → temperature → draw) against the host sampler's same chain.</summary>
[Category("Gpu")]
public class CudaSampleTests : CudaTestBase
{
    [TestCase(0.8f, 40, 0.95f, 0.05f, 32000)]
    [TestCase(1.0f, 0, 1.0f, 0.0f, 1000)]
    [TestCase(0.5f, 5, 0.5f, 0.0f, 32000)]
    [TestCase(1.3f, 100, 0.9f, 0.1f, 50257)]
    public void DeviceSamplerPicksWhatTheHostSamplerPicks(float temperature, int topK, float topP, float minP, int vocab)
    {
        var logits = Random(21 + vocab, vocab, 6f);
        using var t = Tensor(2, vocab, 1, logits);
        var options = new GenerationOptions { Temperature = temperature, TopK = topK, TopP = topP, MinP = minP };
        var host = new Sampler(options, vocab);
        int agree = 0, draws = 0;
        for (int i = 0; i < 64; i++)
        {
            double u = (i + 0.5) / 64;
            Assert.That(Backend.TrySample(t, 0, host.Parameters, (float)u, out int device), Is.True, "the CUDA backend samples on the device");
            int expected = host.SampleWith(logits, (float)u);
            draws++;
            if (device == expected) agree++;
            Assert.That(device, Is.InRange(0, vocab - 1));
        }
        // Float sums on the device and double sums on the host differ only when a draw lands within rounding of a
        // boundary between two candidates: allow one such draw in 64.
        Assert.That(agree, Is.GreaterThanOrEqualTo(draws - 1), $"{agree}/{draws} draws agree");
    }
}
