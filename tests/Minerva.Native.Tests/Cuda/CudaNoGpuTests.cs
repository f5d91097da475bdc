// Host-side CUDA logic that runs without a GPU: probe, PTX entry points and parameters vs kernel sources and launchers,
// launch shapes, the windowed decode split arithmetic, host argmax.
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Minerva.Native.Backends.Cuda;
using Minerva.Native.Tensors;

namespace Minerva.Native.Tests.Cuda;

public sealed partial class CudaNoGpuTests
{
    [Test]
    public void ProbeNeverThrowsAndExplainsAbsence()
    {
        CudaAvailability a = default;
        Assert.DoesNotThrow(() => a = CudaDevice.Probe());
        TestContext.Out.WriteLine(a.ToString());
        bool driverPresent = NativeLibrary.TryLoad(OperatingSystem.IsWindows() ? "nvcuda.dll" : "libcuda.so.1", out _);
        if (!driverPresent)
        {
            Assert.That(a.IsAvailable, Is.False);
            Assert.That(a.ToString(), Does.StartWith("not available: no CUDA driver library"));
        }
        if (!a.IsAvailable) Assert.That(a.Reason, Is.Not.Empty);
    }

    [Test]
    public void ProbeWithoutKernelsIsNotAvailable()
    {
        string empty = TestPaths.NewScratch("no-ptx");
        var a = CudaDevice.Probe(PtxSource.FromDirectory(empty));
        Assert.That(a.IsAvailable, Is.False, "a probe that finds no PTX must say the backend is unusable");
        Assert.That(a.Reason, Is.Not.Empty);
        Directory.Delete(empty);
    }

    private static string KernelSources => Path.Combine(TestPaths.RepoRoot, "kernels");

    [GeneratedRegex(@"extern\s+""C""\s+__global__\s+void\s+(?:__launch_bounds__\([^)]*\)\s+)?(\w+)\s*\(")]
    private static partial Regex ExternKernel();

    // #define NAME_KERNEL(t, ...) ... extern "C" ... prefix##t##suffix(  and its uses NAME_KERNEL(q4_0, ...)
    [GeneratedRegex(@"#define\s+(\w+)\((\w+)[^)]*\)(?:[^\n]*\\\r?\n)*?[^\n]*extern\s+""C""(?:[^\n]*\\\r?\n)*?[^\n]*?(\w*)##\2##(\w*)\s*\(")]
    private static partial Regex KernelMacro();

    [GeneratedRegex(@"#define(?:[^\n]*\\\r?\n)*[^\n]*")]
    private static partial Regex MacroDefinition();

    private static HashSet<string> SourceKernels(string module)
    {
        string text = File.ReadAllText(Path.Combine(KernelSources, module + ".cu"));
        string code = MacroDefinition().Replace(text, "");
        var names = ExternKernel().Matches(code).Select(m => m.Groups[1].Value).ToHashSet();
        foreach (Match macro in KernelMacro().Matches(text))
        {
            string name = macro.Groups[1].Value, prefix = macro.Groups[3].Value, suffix = macro.Groups[4].Value;
            foreach (Match use in Regex.Matches(code, $@"^\s*{name}\((\w+)", RegexOptions.Multiline))
                names.Add(prefix + use.Groups[1].Value + suffix);
        }
        return names;
    }

    [Test]
    public void EveryLaunchedCoreKernelIsDefinedInItsSource()
    {
        if (!File.Exists(Path.Combine(KernelSources, "common.cuh"))) Assert.Ignore($"no kernel sources at {KernelSources} (a portable bundle carries only the PTX)");
        foreach (var k in Kernels.Core)
            Assert.That(SourceKernels(k.Module), Does.Contain(k.Function), $"{k}: no extern \"C\" kernel {k.Function} in kernels/{k.Module}.cu");
    }

    [Test]
    public void QuantizedKernelsAreDefinedInTheirSources()
    {
        if (!File.Exists(Path.Combine(KernelSources, "common.cuh"))) Assert.Ignore($"no kernel sources at {KernelSources} (a portable bundle carries only the PTX)");
        foreach (var k in Kernels.Quantized)
            Assert.That(SourceKernels(k.Module), Does.Contain(k.Function), $"{k}: not defined in kernels/{k.Module}.cu");
    }

    // The kernels the engine loads by default (embedded, or MINERVA_KERNELS_DIR), else build/ptx.
    private static PtxSource? Ptx()
    {
        foreach (var source in new[] { PtxSource.Default, PtxSource.FromDirectory(Path.Combine(TestPaths.RepoRoot, "build", "ptx")) })
            if (source.Unavailable() is null) return source;
        return null;
    }

    [Test]
    public void BuiltPtxContainsEveryKernelOfItsSource()
    {
        if (!File.Exists(Path.Combine(KernelSources, "common.cuh"))) Assert.Ignore($"no kernel sources at {KernelSources} (a portable bundle carries only the PTX)");
        var ptx = Ptx() ?? Ignore();
        foreach (var source in Directory.GetFiles(KernelSources, "*.cu"))
        {
            string module = Path.GetFileNameWithoutExtension(source);
            foreach (var variant in new[] { module + ".ptx", module + ".sm90.ptx" })
            {
                if (variant.Contains(".sm90") && !ptx.Contains(variant)) continue;
                Assert.That(ptx.Contains(variant), $"{variant} missing in {ptx}");
                string text = System.Text.Encoding.UTF8.GetString(ptx.Read(variant));
                foreach (var kernel in SourceKernels(module))
                    Assert.That(text, Does.Contain($".entry {kernel}("), $"{variant} lacks .entry {kernel} (stale PTX? rebuild)");
                Assert.That(text, Does.Match(@"\.version \d+\.\d+"), $"{variant} has no .version line");
            }
        }
    }

    private static PtxSource Ignore()
    {
        Assert.Ignore("no PTX built (cmake -S . -B build && cmake --build build, then rebuild the engine)");
        return null!;
    }

    [TestCase(1)]
    [TestCase(255)]
    [TestCase(256)]
    [TestCase(257)]
    [TestCase(4096)]
    [TestCase(131072)]
    public void DecodeSplitsCoverTheWholeContext(int ctx)
    {
        int splits = AttentionLaunch.SplitCount(ctx);
        Assert.That(splits * AttentionLaunch.Tile, Is.GreaterThanOrEqualTo(ctx));
        Assert.That((splits - 1) * AttentionLaunch.Tile, Is.LessThan(ctx));
        Assert.That(AttentionLaunch.PartialFloats(1, 32, 128, ctx), Is.EqualTo(32L * splits * 130));
        Assert.That(AttentionLaunch.PartialFloats(5, 32, 128, ctx), Is.EqualTo(5L * 32 * splits * 130));
    }

    [TestCase(1, 1, 2)]
    [TestCase(5, 32, 128)]
    [TestCase(3, 3, 80)]
    public void LaunchShapesCoverEveryElement(int rows, int heads, int headDim)
    {
        var (g, b) = RopeLaunch.Shape(rows, heads, headDim);
        Assert.That((long)g.X * b.X, Is.GreaterThanOrEqualTo(heads * headDim / 2));
        Assert.That(g.Y, Is.EqualTo((uint)rows));
        (g, b) = ElementwiseLaunch.StoreKvShape(rows, heads * headDim);
        Assert.That((long)g.X * b.X, Is.GreaterThanOrEqualTo(heads * headDim));
        (g, b) = MatMulLaunch.MatVecShape(heads * headDim);
        Assert.That((long)g.X * b.Y, Is.GreaterThanOrEqualTo(heads * headDim));
        Assert.That(b.X, Is.EqualTo(32u), "one warp per matvec row");
        (g, b) = RmsNormLaunch.Shape(rows, headDim);
        Assert.That(g.X, Is.EqualTo((uint)rows));
        Assert.That(b.X % 32, Is.EqualTo(0u), "block reductions need whole warps");
        (g, b) = ElementwiseLaunch.Shape((long)rows * heads * headDim);
        Assert.That((long)g.X * b.X, Is.GreaterThanOrEqualTo(Math.Min((long)rows * heads * headDim, 1L << 28)));
    }

    // The decode splits (attention_decode_f32) score every key of the window exactly once, the combine
    // (attention_combine_f32) merges exactly the splits that scored keys, and a window covering the prefix is no window.
    [TestCase(1)]
    [TestCase(300)]
    [TestCase(1024)]
    public void WindowedDecodeSplitsCoverExactlyTheWindow(int ctx)
    {
        int splits = AttentionLaunch.SplitCount(ctx);
        int[] windows = [0, 1, 5, 127, 128, 129, 256, 1000, ctx, ctx + 1, int.MaxValue];
        for (int keys = 1; keys <= ctx; keys += keys < 300 ? 1 : 7)
        foreach (int window in windows)
        {
            int first = AttentionLaunch.FirstKey(keys, window);
            Assert.That(first, Is.EqualTo(window > 0 ? Math.Max(0, keys - window) : 0));
            int next = first;
            var (firstSplit, lastSplit) = AttentionLaunch.CombinedSplits(keys, window, splits);
            for (int s = 0; s < splits; s++)
            {
                var (begin, end) = AttentionLaunch.DecodeSplitKeys(s, keys, window);
                bool scored = begin < end;
                Assert.That(scored, Is.EqualTo(s >= firstSplit && s < lastSplit), $"split {s}, keys {keys}, window {window}: combine range [{firstSplit}, {lastSplit})");
                if (!scored) continue;
                Assert.That(begin, Is.EqualTo(next), $"split {s} must start where the previous one ended (keys {keys}, window {window})");
                next = end;
            }
            Assert.That(next, Is.EqualTo(keys), $"keys {keys}, window {window}: the splits end at {next}");
            if (window >= keys)
                for (int s = 0; s < splits; s++)
                    Assert.That(AttentionLaunch.DecodeSplitKeys(s, keys, window), Is.EqualTo(AttentionLaunch.DecodeSplitKeys(s, keys, 0)));
        }
    }

    [TestCase(2)]
    [TestCase(36)]
    [TestCase(64)]
    [TestCase(128)]
    [TestCase(256)]
    public void AttentionAcceptsHeadDimsUpTo256(int headDim) =>
        Assert.DoesNotThrow(() => AttentionLaunch.Validate(32, 8, headDim, window: 4096));

    [TestCase(0)]
    [TestCase(258)]
    [TestCase(512)]
    public void AttentionRefusesOtherHeadDimsClearly(int headDim)
    {
        var e = Assert.Throws<NotSupportedException>(() => AttentionLaunch.Validate(8, 2, headDim));
        Assert.That(e!.Message, Does.Contain($"head dim {headDim}").And.Contain("256"));
    }

    [Test]
    public void AttentionRefusesANegativeWindowAndUnevenGroups()
    {
        Assert.Throws<ArgumentException>(() => AttentionLaunch.Validate(8, 2, 64, window: -1));
        Assert.Throws<ArgumentException>(() => AttentionLaunch.Validate(8, 3, 64));
    }

    [Test]
    public void RopeFreqFactorsMustBeOneF32PerPair()
    {
        Assert.DoesNotThrow(() => RopeLaunch.ValidateFreqFactors(GgmlType.F32, 64, 128));
        Assert.Throws<ArgumentException>(() => RopeLaunch.ValidateFreqFactors(GgmlType.F32, 128, 128));
        Assert.Throws<ArgumentException>(() => RopeLaunch.ValidateFreqFactors(GgmlType.F16, 64, 128));
    }

    // The parameter lists the launchers pass (AttentionLaunch, RopeLaunch, ElementwiseLaunch, EmbedLaunch, MatMulLaunch), checked against the
    // built PTX: a kernel signature changed on one side only would fail at launch time on the GPU.
    [TestCase("rope", "rope_f32", "u64 u64 u64 u32 u32 u32 f32 f32 u32")]
    [TestCase("attention", "attention_decode_f32", "u64 u64 u64 u64 u64 u32 u32 u32 u32 u32 f32 u32")]
    [TestCase("attention", "attention_combine_f32", "u64 u64 u64 u32 u32 u32")]
    [TestCase("attention", "attention_prefill_f32", "u64 u64 u64 u64 u64 u32 u32 u32 u32 u32 f32 u32")]
    [TestCase("elementwise", "add_bias_f32", "u64 u64 u32 u64")]
    [TestCase("elementwise", "store_kv_f16", "u64 u64 u64 u64 u64 u32 u32")]
    [TestCase("get_rows", "get_rows_q4_k_f32", "u64 u64 u64 u32")]
    [TestCase("matvec_f16", "matvec_f16_f32", "u64 u64 u64 u32 u32")]
    [TestCase("matvec_f16", "matvec8_f16_f32", "u64 u64 u64 u32 u32 u32")]
    [TestCase("matvec_f16", "matvec8_bf16_f32", "u64 u64 u64 u32 u32 u32")]
    [TestCase("matvec_f16", "matvec8_f32_f32", "u64 u64 u64 u32 u32 u32")]
    [TestCase("matvec_q", "matvec_q4_0_f32", "u64 u64 u64 u32 u32")]
    [TestCase("matvec_q", "matvec8_q4_0_f32", "u64 u64 u64 u32 u32 u32")]
    [TestCase("matvec_q", "matvec8_q6_k_f32", "u64 u64 u64 u32 u32 u32")]
    public void PtxParametersMatchTheLaunchers(string module, string kernel, string parameters)
    {
        string ptx = System.Text.Encoding.UTF8.GetString((Ptx() ?? Ignore()).Read(module + ".ptx"));
        var entry = Regex.Match(ptx, $@"\.entry {kernel}\(([^)]*)\)");
        Assert.That(entry.Success, $"{module}.ptx has no .entry {kernel}");
        var types = Regex.Matches(entry.Groups[1].Value, @"\.param \.(\w+)").Select(m => m.Groups[1].Value);
        Assert.That(string.Join(" ", types), Is.EqualTo(parameters), $"{kernel} parameters");
    }

    [Test]
    public void RopeThetaScaleIsBaseToTheMinusTwoOverD()
    {
        Assert.That(RopeLaunch.ThetaScale(10000f, 128), Is.EqualTo((float)Math.Pow(10000, -2.0 / 128)).Within(1e-7f));
    }
}
