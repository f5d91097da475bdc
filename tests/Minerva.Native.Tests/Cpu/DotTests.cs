// SIMD dots against their scalar references and an FP64 truth, lengths 0..257.
using Minerva.Native.Backends.Cpu.Kernels;
using Minerva.Native.Tensors;

namespace Minerva.Native.Tests.Cpu;

public unsafe class DotTests
{
    // Any order of n FP32 additions of products lands within n * 2^-24 * sum|w x| of the exact sum (Higham's gamma_n bound).
    private static double Bound(int n, double sumAbs) => (n + 1) * Math.Pow(2, -24) * sumAbs + 1e-30;

    [Test]
    public void DotMatchesReferenceForAllLengths([Values(GgmlType.F32, GgmlType.F16, GgmlType.BF16)] GgmlType type)
    {
        var rng = new Random(11);
        for (int n = 0; n <= 257; n++)
        {
            using var x = CpuTestData.Floats(rng, n);
            using var wf = CpuTestData.Floats(rng, n);
            using var wh = CpuTestData.Halves(rng, n);
            using var wb = CpuTestData.BFloats(rng, n);
            float fast, reference;
            double exact = 0, sumAbs = 0;
            for (int i = 0; i < n; i++)
            {
                double w = type switch { GgmlType.F32 => wf[i], GgmlType.F16 => HalfConvert.F16ToF32(wh[i]), _ => HalfConvert.BF16ToF32(wb[i]) };
                exact += w * x[i];
                sumAbs += Math.Abs(w * x[i]);
            }
            (fast, reference) = type switch
            {
                GgmlType.F32 => (Dot.F32(wf.Pointer, x.Pointer, n), DotReference.F32(wf.Pointer, x.Pointer, n)),
                GgmlType.F16 => (Dot.F16(wh.Pointer, x.Pointer, n), DotReference.F16(wh.Pointer, x.Pointer, n)),
                _ => (Dot.BF16(wb.Pointer, x.Pointer, n), DotReference.BF16(wb.Pointer, x.Pointer, n)),
            };
            Assert.That(Math.Abs(fast - exact), Is.LessThanOrEqualTo(Bound(n, sumAbs)), $"{type} n={n} fast");
            Assert.That(Math.Abs(reference - exact), Is.LessThanOrEqualTo(Bound(n, sumAbs)), $"{type} n={n} reference");
            if (n < 8) Assert.That(fast, Is.EqualTo(reference), $"{type} n={n}: short rows take the scalar path");
        }
    }

    [Test]
    public void AxpyF16MatchesReferenceExactlyForAllLengths()
    {
        var rng = new Random(12);
        for (int n = 0; n <= 257; n++)
        {
            using var w = CpuTestData.Halves(rng, n);
            using var y = CpuTestData.Floats(rng, n);
            using var yRef = new NativeArray<float>(n);
            y.Span.CopyTo(yRef.Span);
            float a = (float)(Half)(float)rng.NextDouble();
            Axpy.F16(a, w.Pointer, y.Pointer, n);
            Axpy.ReferenceF16(a, w.Pointer, yRef.Pointer, n);
            Assert.That(y.Span.ToArray(), Is.EqualTo(yRef.Span.ToArray()), $"n={n}");
            Assert.That(y.GuardsIntact(), $"n={n}");
        }
    }
}
