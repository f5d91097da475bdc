// Where the CUDA backend's PTX comes from, host side only: the engine assembly embeds build/ptx byte for byte, an override
// folder (MINERVA_KERNELS_DIR) replaces it, the sm90 variant is chosen on compute capability 9+, absence is reported.
using Minerva.Native.Backends.Cuda;

namespace Minerva.Native.Tests.Cuda;

[NonParallelizable]
public sealed class PtxSourceTests
{
    private static string BuiltPtx => Path.Combine(TestPaths.RepoRoot, "build", "ptx");

    private static string[] BuiltPtxFiles()
    {
        if (!Directory.Exists(BuiltPtx)) Assert.Ignore($"no {BuiltPtx} (built without nvcc): the engine embeds no kernels");
        return Directory.GetFiles(BuiltPtx, "*.ptx").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray();
    }

    private static string FolderWith(params (string File, string Text)[] files)
    {
        string dir = TestPaths.NewScratch("ptx");
        foreach (var (file, text) in files) File.WriteAllText(Path.Combine(dir, file), text);
        return dir;
    }

    [Test]
    public void TheEngineEmbedsOneResourcePerBuiltPtxFile()
    {
        string[] built = BuiltPtxFiles();
        var resources = typeof(PtxSource).Assembly.GetManifestResourceNames().Where(n => n.EndsWith(".ptx", StringComparison.Ordinal)).Order(StringComparer.Ordinal);
        Assert.That(resources, Is.EqualTo(built.Select(f => "kernels/" + f)));
        Assert.That(PtxSource.Embedded.Files, Is.EqualTo(built));
        Assert.That(PtxSource.Embedded.Unavailable(), Is.Null);
    }

    [Test]
    public void EmbeddedAndOverrideFolderGiveIdenticalBytes()
    {
        string[] built = BuiltPtxFiles();
        var folder = PtxSource.FromDirectory(BuiltPtx);
        Assert.That(folder.Files, Is.EqualTo(built));
        foreach (string file in built)
        {
            byte[] embedded = PtxSource.Embedded.Read(file);
            Assert.That(embedded, Has.Length.GreaterThan(0));
            Assert.That(embedded, Is.EqualTo(folder.Read(file)), file);
            Assert.That(embedded, Is.EqualTo(File.ReadAllBytes(Path.Combine(BuiltPtx, file))), file);
        }
        foreach (int major in new[] { 8, 9 })
        foreach (string module in built.Select(f => f.Split('.')[0]).Distinct())
            Assert.That(PtxSource.Embedded.FileFor(module, major), Is.EqualTo(folder.FileFor(module, major)), $"{module} on sm_{major}x");
    }

    [Test]
    public void TheOverrideFolderWinsOverTheEmbeddedKernels()
    {
        string dir = FolderWith(("rope.ptx", "// rope from the override folder"), ("rope.sm90.ptx", "// rope sm90 from the override folder"));
        string? saved = Environment.GetEnvironmentVariable(PtxSource.OverrideVariable);
        try
        {
            Environment.SetEnvironmentVariable(PtxSource.OverrideVariable, dir);
            var source = PtxSource.Default;
            Assert.That(source.Directory, Is.EqualTo(Path.GetFullPath(dir)));
            Assert.That(source.Files, Is.EqualTo(new[] { "rope.ptx", "rope.sm90.ptx" }));
            Assert.That(source.Unavailable(), Is.Null);
            Assert.That(System.Text.Encoding.UTF8.GetString(source.Read(source.FileFor("rope", 8))), Is.EqualTo("// rope from the override folder"));
            Assert.That(System.Text.Encoding.UTF8.GetString(source.Read(source.FileFor("rope", 9))), Is.EqualTo("// rope sm90 from the override folder"));
            Assert.Throws<FileNotFoundException>(() => source.Read("attention.ptx"), "the folder replaces the embedded kernels, it does not patch them");

            Environment.SetEnvironmentVariable(PtxSource.OverrideVariable, "");
            Assert.That(PtxSource.Default.Directory, Is.Null, "unset or empty: the embedded kernels");
        }
        finally
        {
            Environment.SetEnvironmentVariable(PtxSource.OverrideVariable, saved);
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void TheSm90VariantIsChosenOnComputeCapabilityNineAndAbove()
    {
        string dir = FolderWith(("a.ptx", "a"), ("a.sm90.ptx", "a90"), ("b.ptx", "b"));
        var source = PtxSource.FromDirectory(dir);
        Assert.That(source.FileFor("a", 8), Is.EqualTo("a.ptx"));
        Assert.That(source.FileFor("a", 9), Is.EqualTo("a.sm90.ptx"));
        Assert.That(source.FileFor("a", 10), Is.EqualTo("a.sm90.ptx"));
        Assert.That(source.FileFor("b", 9), Is.EqualTo("b.ptx"), "no sm90 variant: the baseline PTX");
        Directory.Delete(dir, true);
    }

    [Test]
    public void AFolderWithoutPtxIsReportedByName()
    {
        string empty = FolderWith(("notes.txt", "not a kernel"));
        string missing = Path.Combine(empty, "absent");
        foreach (string dir in new[] { empty, missing })
        {
            var source = PtxSource.FromDirectory(dir);
            Assert.That(source.Files, Is.Empty);
            Assert.That(source.Unavailable(), Does.StartWith($"no PTX kernels in {dir}").And.Contain(PtxSource.OverrideVariable));
            Assert.Throws<FileNotFoundException>(() => source.Read("rope.ptx"));
        }
        Directory.Delete(empty, true);
    }

    [Test]
    public void TheEmbeddedKernelsAreReportedAsTheEngineAssembly()
    {
        Assert.That(PtxSource.Embedded.Description, Does.Contain("Minerva.Native.dll"));
        if (PtxSource.Embedded.Files.Count == 0)
            Assert.That(PtxSource.Embedded.Unavailable(), Does.StartWith("no PTX kernels embedded in Minerva.Native.dll"));
        else
            Assert.That(PtxSource.Embedded.Unavailable(), Is.Null);
        Assert.Throws<FileNotFoundException>(() => PtxSource.Embedded.Read("no_such_module.ptx"));
    }
}
