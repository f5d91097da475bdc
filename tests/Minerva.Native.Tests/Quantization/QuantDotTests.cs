// Each SIMD tier of the vec-dots against the scalar references on rows of 1..N blocks; tolerance 2e-6 * sum|w_i a_i| (fp32 summation order only).
using Minerva.Native.Backends.Cpu.Kernels;
using Minerva.Native.Quantization;
using Minerva.Native.Tensors;
using Minerva.Native.Simd;
using Minerva.Native.Backends.Cpu;

namespace Minerva.Native.Tests.Quantization;

public class QuantDotTests
{
    private static readonly GgmlType[] Types =
        [GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K];

    private static IEnumerable<TestCaseData> Cases()
    {
        foreach (var t in Types)
            foreach (var tier in new[] { SimdTier.Avx2, SimdTier.Avx512 })
                yield return new TestCaseData(t, tier);
    }

    [TestCaseSource(nameof(Cases))]
    public void TierMatchesReference(GgmlType t, SimdTier tier)
    {
        if (tier > SimdSupport.Available) Assert.Ignore($"{tier} not available on this CPU");
        var dot = QuantDot.ForTier(t, tier);
        Assert.That(dot, Is.Not.Null, $"{t} has a {tier} kernel");
        var served = QuantDot.ServedTier(t, tier);
        TestContext.Out.WriteLine($"{t} at {tier}: served by {served}");
        Assert.That(served, Is.Not.EqualTo(SimdTier.Scalar));

        var traits = QuantRegistry.Get(t);
        var act = QuantRegistry.Get(traits.ActivationType);
        var info = GgmlTypes.Info(t);
        int unit = info.BlockSize == 1 ? 1 : info.BlockSize;
        int[] counts = info.BlockSize == 1 ? [1, 2, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65, 257, 1000] : [1, 2, 3, 5, 7, 8, 9, 13];
        var r = new Random(97 + (int)t);
        Assert.Multiple(() =>
        {
            foreach (int c in counts)
            {
                int n = c * unit;
                var w = new float[n]; var a = new float[n];
                for (int i = 0; i < n; i++) { w[i] = QuantTestData.Gauss(r) * (r.NextDouble() < 0.02 ? 20 : 1); a[i] = QuantTestData.Gauss(r); }
                byte[] wq = new byte[GgmlTypes.RowBytes(t, n)], aq = new byte[GgmlTypes.RowBytes(traits.ActivationType, n)];
                traits.Quantize(w, wq);
                act.Quantize(a, aq);
                float[] wd = new float[n], ad = new float[n];
                traits.Dequantize(wq, wd);
                act.Dequantize(aq, ad);
                double mag = 0;
                for (int i = 0; i < n; i++) mag += Math.Abs((double)wd[i] * ad[i]);
                float reference = traits.VecDotReference(wq, aq, n);
                float fast = dot!(wq, aq, n);
                Assert.That(fast, Is.EqualTo(reference).Within(2e-6 * mag + 1e-12), $"{t} {tier} n={n}");
            }
        });
    }

    [Test]
    public unsafe void CpuWeightsUseTheConfiguredTier()
    {
        TestContext.Out.WriteLine($"available {SimdSupport.Available}, in use {SimdSupport.Tier}");
        Assert.Multiple(() =>
        {
            foreach (var t in Types)
            {
                if (!GgmlTypes.Info(t).IsQuantized) continue; // F32/F16/BF16 weights take the float kernels
                var traits = QuantRegistry.Get(t);
                var weight = new CpuWeight(new WeightTensor("w", t, [traits.BlockSize, 1], null, traits.BytesPerBlock));
                var expected = QuantDot.ForTier(t, SimdSupport.Tier);
                if (expected is null) Assert.That(weight.VecDot, Is.SameAs(traits.VecDotReference), $"{t}");
                else Assert.That(weight.VecDot!.Method, Is.EqualTo(expected.Method), $"{t}");
            }
        });
    }

    [TestCase("scalar", SimdTier.Avx512, SimdTier.Scalar)]
    [TestCase("AVX2", SimdTier.Avx512, SimdTier.Avx2)]
    [TestCase("avx512", SimdTier.Avx2, SimdTier.Avx2)]
    [TestCase(null, SimdTier.Avx512, SimdTier.Avx512)]
    [TestCase("bogus", SimdTier.Avx2, SimdTier.Avx2)]
    public void EnvironmentSwitchParsesAndCaps(string? value, SimdTier available, SimdTier expected) =>
        Assert.That(SimdSupport.Parse(value, available), Is.EqualTo(expected));

    [Test]
    public void ScalarTierServesReferences()
    {
        foreach (var t in Types) Assert.That(QuantDot.ForTier(t, SimdTier.Scalar), Is.Null);
    }
}
