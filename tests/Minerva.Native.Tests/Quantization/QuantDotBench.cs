// Explicit micro-benchmark: reference vs each tier, one 4096-wide row dotted repeatedly (prints µs per row and GB/s of weights).
using System.Diagnostics;
using Minerva.Native.Backends.Cpu.Kernels;
using Minerva.Native.Formats.Gguf;
using Minerva.Native.Quantization;

namespace Minerva.Native.Tests.Quantization;

[Explicit("timing only")]
public class QuantDotBench
{
    [Test]
    public void PrintTimings()
    {
        const int n = 4096, reps = 2000;
        foreach (var t in new[] { GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.F16, GgmlType.BF16, GgmlType.F32 })
        {
            var traits = QuantRegistry.Get(t);
            var w = QuantTestData.Rows("gaussian", 1, n, 1);
            byte[] wq = new byte[GgmlTypes.RowBytes(t, n)], aq = new byte[GgmlTypes.RowBytes(traits.ActivationType, n)];
            traits.Quantize(w, wq);
            QuantRegistry.Get(traits.ActivationType).Quantize(w, aq);
            var line = $"{t,-5}";
            foreach (var (name, dot) in new (string, VecDot?)[] { ("ref", traits.VecDotReference), ("avx2", QuantDot.ForTier(t, SimdTier.Avx2)), ("avx512", QuantDot.ForTier(t, SimdTier.Avx512)) })
            {
                if (dot is null) continue;
                var warm = Stopwatch.StartNew();
                while (warm.ElapsedMilliseconds < 400) dot(wq, aq, n); // past tiered JIT
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < reps; i++) dot(wq, aq, n);
                double us = sw.Elapsed.TotalMicroseconds / reps;
                line += $"  {name} {us,7:F2} us ({wq.Length / us / 1e3,5:F1} GB/s)";
            }
            TestContext.Out.WriteLine(line);
        }
    }
}
