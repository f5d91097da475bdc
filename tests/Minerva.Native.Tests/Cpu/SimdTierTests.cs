// Each SIMD tier forced in a child process (MINERVA_SIMD, DOTNET_EnableAVX512=0): the child reports its tier and
// kernel results, which must agree across tiers (exactly where the kernels are order-free, within FP32 bounds where they sum).
using System.Diagnostics;
using Minerva.Native.Backends.Cpu;
using Minerva.Native.Backends.Cpu.Kernels;
using Minerva.Native.Execution;
using Minerva.Native.Tensors;
using Minerva.Native.Simd;

namespace Minerva.Native.Tests.Cpu;

public class SimdTierTests
{
    internal const string ProbeOutput = "MINERVA_TIER_PROBE_OUT";

    [Test]
    public void ForcedTiersRunAndAgree()
    {
        var runs = new List<(string Name, Dictionary<string, string?> Env, SimdTier Expected)>
        {
            ("scalar", new() { ["MINERVA_SIMD"] = "scalar" }, SimdTier.Scalar),
            ("default", new() { ["MINERVA_SIMD"] = null, ["DOTNET_EnableAVX512F"] = null, ["DOTNET_EnableAVX512"] = null }, SimdSupport.Available),
        };
        if (SimdSupport.Available >= SimdTier.Avx2)
        {
            runs.Add(("avx2-by-variable", new() { ["MINERVA_SIMD"] = "avx2" }, SimdTier.Avx2));
            // .NET 10 reads DOTNET_EnableAVX512; .NET 8/9 read DOTNET_EnableAVX512F.
            runs.Add(("avx2-by-runtime", new() { ["MINERVA_SIMD"] = null, ["DOTNET_EnableAVX512F"] = "0", ["DOTNET_EnableAVX512"] = "0" }, SimdTier.Avx2));
        }
        string dir = TestPaths.NewScratch("tiers");
        var processes = runs.Select(run => StartProbe(run.Env, Path.Combine(dir, run.Name + ".txt"))).ToList();
        var results = new List<(string Name, string[] Lines)>();
        for (int i = 0; i < runs.Count; i++)
        {
            var p = processes[i];
            string stdout = p.StandardOutput.ReadToEnd();
            Assert.That(p.WaitForExit(120_000), $"{runs[i].Name} probe hung");
            string file = Path.Combine(dir, runs[i].Name + ".txt");
            Assert.That(File.Exists(file), $"{runs[i].Name} probe wrote nothing (exit {p.ExitCode}):\n{stdout}");
            var lines = File.ReadAllLines(file);
            Assert.That(lines[0], Is.EqualTo(runs[i].Expected.ToString().ToLowerInvariant()), $"{runs[i].Name} ran the wrong tier");
            results.Add((runs[i].Name, lines));
        }
        Directory.Delete(dir, true);

        var baseline = results[0].Lines;
        foreach (var (name, lines) in results.Skip(1))
            for (int l = 1; l < baseline.Length; l++)
            {
                var (key, expected) = Parse(baseline[l]);
                var (key2, actual) = Parse(lines[l]);
                Assert.That(key2, Is.EqualTo(key));
                if (key.StartsWith("exact.dottile", StringComparison.Ordinal)) Assert.That(actual, Is.Zero, $"{name}: {key}");
                double tolerance = key.StartsWith("exact", StringComparison.Ordinal) ? 0 : 2e-5 * Math.Max(1, Math.Abs(expected));
                Assert.That(actual, Is.EqualTo(expected).Within(tolerance), $"{name} vs scalar: {key}");
            }
    }

    private static (string, double) Parse(string line)
    {
        int space = line.IndexOf(' ');
        return (line[..space], double.Parse(line[(space + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static Process StartProbe(Dictionary<string, string?> env, string output)
    {
        string exe = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "Minerva.Native.Tests.exe" : "Minerva.Native.Tests");
        var info = File.Exists(exe) ? new ProcessStartInfo(exe) : new ProcessStartInfo("dotnet") { ArgumentList = { typeof(SimdTierTests).Assembly.Location } };
        info.ArgumentList.Add("--filter");
        info.ArgumentList.Add($"FullyQualifiedName~{nameof(SimdTierProbe)}");
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = false;
        info.UseShellExecute = false;
        foreach (var (k, v) in env) info.Environment[k] = v;
        info.Environment[ProbeOutput] = output;
        return Process.Start(info)!;
    }
}

/// <summary>Runs only as the child of <see cref="ForcedTiersRunAndAgree"/>: writes the tier and kernel results.</summary>
public class SimdTierProbe
{
    [Test]
    public unsafe void WriteTierAndResults()
    {
        string? output = Environment.GetEnvironmentVariable(SimdTierTests.ProbeOutput);
        if (output is null) Assert.Ignore("runs only as the child process of ForcedTiersRunAndAgree");
        var lines = new List<string> { SimdSupport.Tier.ToString().ToLowerInvariant() };
        void Put(string key, double value) => lines.Add($"{key} {value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}");

        var rng = new Random(99);
        const int n = 1001;
        using var x = CpuTestData.Floats(rng, n);
        using var y = CpuTestData.Floats(rng, n);
        using var z = new NativeArray<float>(n);
        using var wh = CpuTestData.Halves(rng, n);
        using var wb = CpuTestData.BFloats(rng, n);
        Put("dot.f32", Dot.F32(x.Pointer, y.Pointer, n));
        Put("dot.f16", Dot.F16(wh.Pointer, x.Pointer, n));
        Put("dot.bf16", Dot.BF16(wb.Pointer, x.Pointer, n));
        // DotTile must equal Dot bit for bit at this tier: lengths below, at and past one vector of each width, and column blocks.
        foreach (var type in new[] { GgmlType.F32, GgmlType.F16, GgmlType.BF16 })
            Put($"exact.dottile.{type}", new[] { 7, 8, 15, 16, 63, 64, 100, 2064 }.Sum(len => DotTileTests.Mismatches(rng, type, len, 3, 9, everyShape: true).Count));
        Add.Run(x.Pointer, y.Pointer, z.Pointer, n);
        Put("exact.add", z.Span.ToArray().Sum(v => (double)v));
        SiluMul.Run(x.Pointer, y.Pointer, z.Pointer, n);
        Put("silu", z.Span.ToArray().Sum(v => (double)v));
        RmsNorm.Run(x.Pointer, y.Pointer, 1e-5f, z.Pointer, n);
        Put("rmsnorm", z.Span.ToArray().Sum(v => (double)v));
        Axpy.F16(0.375f, wh.Pointer, z.Pointer, n);
        Put("exact.axpy", z.Span.ToArray().Sum(v => (double)v));

        using var backend = new CpuBackend(threads: 2);
        using var tw = CpuTestData.Weight(rng, GgmlType.F16, 21, 67);
        using var w = backend.Load(tw.Tensor);
        using var a = (CpuTensor)backend.Allocate(5, 67);
        using var o = (CpuTensor)backend.Allocate(5, 21);
        for (int i = 0; i < 5 * 67; i++) a.Data[i] = (float)rng.NextDouble() - 0.5f;
        backend.MatMul(a, w, o);
        for (int i = 0; i < 5 * 21; i += 13) Put($"matmul.f16.{i}", o.Data[i]);
        using var cache = backend.AllocateKvCache(1, 8, 32);
        using var q = (CpuTensor)backend.Allocate(5, 64);
        using var att = (CpuTensor)backend.Allocate(5, 64);
        for (int i = 0; i < 5 * 64; i++) q.Data[i] = (float)rng.NextDouble() - 0.5f;
        backend.SetInput(new int[5], 0);
        using var kv = (CpuTensor)backend.Allocate(5, 32);
        for (int i = 0; i < 5 * 32; i++) kv.Data[i] = (float)rng.NextDouble() - 0.5f;
        backend.StoreKv(cache, 0, kv, kv);
        backend.Attention(q, cache, 0, new AttentionShape(2, 1, 32), att);
        for (int i = 0; i < 5 * 64; i += 17) Put($"attention.{i}", att.Data[i]);
        File.WriteAllLines(output, lines);
    }
}
