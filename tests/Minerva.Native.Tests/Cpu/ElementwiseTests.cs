// Add, SiluMul and RmsNorm against their scalar references (and RmsNorm against an FP64 formula), lengths 0..257.
using Minerva.Native.Backends.Cpu.Kernels;

namespace Minerva.Native.Tests.Cpu;

public unsafe class ElementwiseTests
{
    [Test]
    public void AddIsExactInPlaceForAllLengths()
    {
        var rng = new Random(21);
        for (int n = 0; n <= 257; n++)
        {
            using var x = CpuTestData.Floats(rng, n);
            using var y = CpuTestData.Floats(rng, n);
            using var expected = new NativeArray<float>(n);
            Add.Reference(x.Pointer, y.Pointer, expected.Pointer, n);
            Add.Run(x.Pointer, y.Pointer, x.Pointer, n);
            Assert.That(x.Span.ToArray(), Is.EqualTo(expected.Span.ToArray()), $"n={n}");
            Assert.That(x.GuardsIntact(), $"n={n}");
        }
    }

    [Test]
    public void SiluMulMatchesReferenceForAllLengths()
    {
        var rng = new Random(22);
        for (int n = 0; n <= 257; n++)
        {
            using var g = CpuTestData.Floats(rng, n, 12f);
            using var u = CpuTestData.Floats(rng, n, 3f);
            using var z = new NativeArray<float>(n);
            using var expected = new NativeArray<float>(n);
            SiluMul.Reference(g.Pointer, u.Pointer, expected.Pointer, n);
            SiluMul.Run(g.Pointer, u.Pointer, z.Pointer, n);
            for (int i = 0; i < n; i++)
            {
                double exact = g[i] / (1 + Math.Exp(-(double)g[i])) * u[i];
                Assert.That(Math.Abs(z[i] - exact), Is.LessThanOrEqualTo(4e-7 * Math.Abs(exact) + 1e-30), $"n={n} i={i} silu({g[i]})*{u[i]}");
                Assert.That(Math.Abs(expected[i] - exact), Is.LessThanOrEqualTo(4e-7 * Math.Abs(exact) + 1e-30), $"reference n={n} i={i}");
            }
            Assert.That(z.GuardsIntact(), $"n={n}");
        }
    }

    [Test]
    public void RmsNormMatchesReferenceForAllLengths()
    {
        var rng = new Random(23);
        const float eps = 1e-5f;
        for (int n = 1; n <= 257; n++)
        {
            using var x = CpuTestData.Floats(rng, n, 3f);
            using var w = CpuTestData.Floats(rng, n);
            using var y = new NativeArray<float>(n);
            using var expected = new NativeArray<float>(n);
            RmsNorm.Reference(x.Pointer, w.Pointer, eps, expected.Pointer, n);
            RmsNorm.Run(x.Pointer, w.Pointer, eps, y.Pointer, n);
            double mean = 0;
            for (int i = 0; i < n; i++) mean += (double)x[i] * x[i];
            double scale = 1 / Math.Sqrt(mean / n + eps);
            for (int i = 0; i < n; i++)
            {
                // FP64 sums in another order can move the FP32 mean by one ulp: allow 2 ulp of the result.
                Assert.That(Math.Abs(y[i] - expected[i]), Is.LessThanOrEqualTo(2.5e-7 * Math.Abs(expected[i])), $"n={n} i={i}");
                double exact = x[i] * scale * w[i];
                Assert.That(Math.Abs(y[i] - exact), Is.LessThanOrEqualTo(1e-6 * Math.Abs(exact) + 1e-30), $"n={n} i={i} vs FP64");
            }
            Assert.That(y.GuardsIntact(), $"n={n}");
        }
    }
}
