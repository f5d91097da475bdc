// Block struct sizes against the GgmlTypes table (ggml-common.h static_asserts), registry completeness, vec-dot reference vs dequantize-then-dot.
using System.Runtime.CompilerServices;
using Minerva.Native.Quantization;
using Minerva.Native.Quantization.KQuants;
using Minerva.Native.Tensors;

namespace Minerva.Native.Tests.Quantization;

public class QuantBlockTests
{
    [Test]
    public void BlockStructSizesMatchGgml()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Unsafe.SizeOf<BlockQ4_0>(), Is.EqualTo(GgmlTypes.Info(GgmlType.Q4_0).BytesPerBlock).And.EqualTo(18));
            Assert.That(Unsafe.SizeOf<BlockQ4_1>(), Is.EqualTo(GgmlTypes.Info(GgmlType.Q4_1).BytesPerBlock).And.EqualTo(20));
            Assert.That(Unsafe.SizeOf<BlockQ5_0>(), Is.EqualTo(GgmlTypes.Info(GgmlType.Q5_0).BytesPerBlock).And.EqualTo(22));
            Assert.That(Unsafe.SizeOf<BlockQ5_1>(), Is.EqualTo(GgmlTypes.Info(GgmlType.Q5_1).BytesPerBlock).And.EqualTo(24));
            Assert.That(Unsafe.SizeOf<BlockQ8_0>(), Is.EqualTo(GgmlTypes.Info(GgmlType.Q8_0).BytesPerBlock).And.EqualTo(34));
            Assert.That(Unsafe.SizeOf<BlockQ8_1>(), Is.EqualTo(GgmlTypes.Info(GgmlType.Q8_1).BytesPerBlock).And.EqualTo(36));
            Assert.That(Unsafe.SizeOf<BlockQ2_K>(), Is.EqualTo(GgmlTypes.Info(GgmlType.Q2_K).BytesPerBlock).And.EqualTo(84));
            Assert.That(Unsafe.SizeOf<BlockQ3_K>(), Is.EqualTo(GgmlTypes.Info(GgmlType.Q3_K).BytesPerBlock).And.EqualTo(110));
            Assert.That(Unsafe.SizeOf<BlockQ4_K>(), Is.EqualTo(GgmlTypes.Info(GgmlType.Q4_K).BytesPerBlock).And.EqualTo(144));
            Assert.That(Unsafe.SizeOf<BlockQ5_K>(), Is.EqualTo(GgmlTypes.Info(GgmlType.Q5_K).BytesPerBlock).And.EqualTo(176));
            Assert.That(Unsafe.SizeOf<BlockQ6_K>(), Is.EqualTo(GgmlTypes.Info(GgmlType.Q6_K).BytesPerBlock).And.EqualTo(210));
            Assert.That(Unsafe.SizeOf<BlockQ8_K>(), Is.EqualTo(GgmlTypes.Info(GgmlType.Q8_K).BytesPerBlock).And.EqualTo(292));
        });
    }

    [Test]
    public void RegistryHasEveryComputeTypeWithGgmlPairing()
    {
        var expected = new Dictionary<GgmlType, GgmlType>
        {
            [GgmlType.F32] = GgmlType.F32, [GgmlType.F16] = GgmlType.F16, [GgmlType.BF16] = GgmlType.BF16,
            [GgmlType.Q4_0] = GgmlType.Q8_0, [GgmlType.Q5_0] = GgmlType.Q8_0, [GgmlType.Q8_0] = GgmlType.Q8_0,
            [GgmlType.Q4_1] = GgmlType.Q8_1, [GgmlType.Q5_1] = GgmlType.Q8_1, [GgmlType.Q8_1] = GgmlType.Q8_1,
            [GgmlType.Q2_K] = GgmlType.Q8_K, [GgmlType.Q3_K] = GgmlType.Q8_K, [GgmlType.Q4_K] = GgmlType.Q8_K,
            [GgmlType.Q5_K] = GgmlType.Q8_K, [GgmlType.Q6_K] = GgmlType.Q8_K, [GgmlType.Q8_K] = GgmlType.Q8_K,
        };
        Assert.That(QuantRegistry.All.ToDictionary(t => t.Type, t => t.ActivationType), Is.EquivalentTo(expected));
    }

    /// <summary>The integer vec-dot equals the float dot of the two dequantized rows up to fp32 rounding of the block sums.</summary>
    [TestCase(GgmlType.Q4_0)] [TestCase(GgmlType.Q4_1)] [TestCase(GgmlType.Q5_0)] [TestCase(GgmlType.Q5_1)] [TestCase(GgmlType.Q8_0)]
    [TestCase(GgmlType.Q2_K)] [TestCase(GgmlType.Q3_K)] [TestCase(GgmlType.Q4_K)] [TestCase(GgmlType.Q5_K)] [TestCase(GgmlType.Q6_K)]
    [TestCase(GgmlType.F16)] [TestCase(GgmlType.BF16)] [TestCase(GgmlType.F32)]
    public void VecDotReferenceEqualsDequantizedDot(GgmlType t)
    {
        var traits = QuantRegistry.Get(t);
        var act = QuantRegistry.Get(traits.ActivationType);
        const int n = 2048;
        var w = QuantTestData.Rows("outliers", 1, n, 41);
        var a = QuantTestData.Rows("gaussian", 1, n, 43);
        byte[] wq = new byte[GgmlTypes.RowBytes(t, n)], aq = new byte[GgmlTypes.RowBytes(traits.ActivationType, n)];
        traits.Quantize(w, wq);
        act.Quantize(a, aq);
        float[] wd = new float[n], ad = new float[n];
        traits.Dequantize(wq, wd);
        act.Dequantize(aq, ad);
        double exact = 0, mag = 0;
        for (int i = 0; i < n; i++) { exact += (double)wd[i] * ad[i]; mag += Math.Abs((double)wd[i] * ad[i]); }
        float got = traits.VecDotReference(wq, aq, n);
        // Q4_1/Q5_1 use the fp16-rounded s = d*sum(q) of Q8_1: allow its rounding (2^-11 relative) on the min term.
        double tol = (t is GgmlType.Q4_1 or GgmlType.Q5_1 ? 1e-3 : 1e-5) * mag + 1e-9;
        Assert.That(got, Is.EqualTo(exact).Within(tol), $"{t}: {got} vs {exact} (mag {mag})");
    }
}
