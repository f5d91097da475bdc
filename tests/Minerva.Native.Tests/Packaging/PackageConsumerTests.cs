// The packages as a user gets them: Minerva.Native and the minerva-native tool packed (a unique prerelease version) into a
// temporary feed; a fresh console app outside the repository restores the engine from that feed alone (its dependencies
// from the global packages folder, read-only) and prints the same greedy text as the CLI; the tool installs from the feed
// into a temporary tool path and runs `info` and `run`. Nothing is written to the repository or the global package cache.
using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;
using Minerva.Native.Formats.Gguf;
using Minerva.Native.Model;
using Minerva.Native.Quantization;
using Minerva.Native.Tests.Cli;

namespace Minerva.Native.Tests.Packaging;

[Category("Packaging")]
[NonParallelizable]
public sealed class PackageConsumerTests
{
    private const string Prompt = "Once upon a time";
    private const int Tokens = 16;
    private static readonly TimeSpan PackGuard = TimeSpan.FromMinutes(20);
    private static readonly TimeSpan StepGuard = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan RunGuard = TimeSpan.FromMinutes(5);

    private string _work = "", _feed = "", _config = "", _model = "", _version = "";
    private Dictionary<string, string> _consumerEnv = new();

    private static string Project(string name) => Path.Combine(TestPaths.RepoRoot, "src", name, name + ".csproj");

    [OneTimeSetUp]
    public void PackIntoATemporaryFeed()
    {
        if (!File.Exists(Project("Minerva.Native"))) Assert.Ignore($"no sources under {TestPaths.RepoRoot} (a portable bundle): nothing to pack");
        if (ChildProcess.Dotnet is null) Assert.Ignore("no dotnet on PATH: the .NET SDK is needed to pack");

        _work = Path.Combine(Path.GetTempPath(), $"minerva-pack-{Guid.NewGuid():N}");
        Assert.That(Path.GetFullPath(_work), Does.Not.StartWith(TestPaths.RepoRoot + Path.DirectorySeparatorChar), "the consumer must live outside the repository");
        _feed = Path.Combine(_work, "feed");
        Directory.CreateDirectory(_feed);
        // Stop MSBuild's upward search here: nothing above the temp folder reaches the consumer app.
        foreach (string f in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
            File.WriteAllText(Path.Combine(_work, f), "<Project />\n");

        var v = typeof(LlamaModel).Assembly.GetName().Version!;
        _version = $"{v.Major}.{v.Minor}.{v.Build}-test.t{Guid.NewGuid():N}"[..32];
        string artifacts = Path.Combine(_work, "artifacts");
        foreach (string project in new[] { "Minerva.Native", "Minerva.Native.Cli" })
            ChildProcess.DotnetOk(TestPaths.RepoRoot, PackGuard, null, "pack", Project(project), "-c", "Release", "-o", _feed,
                "--artifacts-path", artifacts, $"-p:Version={_version}", "-p:NuGetAudit=false", "--disable-build-servers", "-nologo");

        // The feed alone as source; the engine's dependencies come from the global packages folder, used read-only as a
        // fallback folder, and everything restored goes to a private folder deleted with the rest.
        string globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } g ? g
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        _config = Path.Combine(_work, "nuget.config");
        File.WriteAllText(_config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="minerva-test-feed" value="{_feed}" />
              </packageSources>
              <fallbackPackageFolders>
                <clear />
                <add key="global-packages" value="{globalPackages}" />
              </fallbackPackageFolders>
            </configuration>
            """);
        _consumerEnv = new() { ["NUGET_PACKAGES"] = Path.Combine(_work, "packages") };

        _model = Path.Combine(_work, "model", "tiny.gguf");
        Directory.CreateDirectory(Path.GetDirectoryName(_model)!);
        SyntheticModels.Write(ModelPreset.Tiny, "gguf", QuantMix.Parse("q8_0"), SyntheticModels.DefaultSeed, _model);
    }

    [OneTimeTearDown]
    public void DeleteTheTemporaryFolder()
    {
        if (_work.Length == 0 || !Directory.Exists(_work)) return;
        try { Directory.Delete(_work, true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { TestContext.Progress.WriteLine($"could not delete {_work}: {e.Message}"); }
    }

    private string CliText()
    {
        var cli = CliProcess.Run("run", "-m", _model, "-p", Prompt, "-n", Tokens.ToString(), "--temp", "0", "--ignore-eos", "--device", "cpu", "--threads", "2");
        Assert.That(cli.ExitCode, Is.EqualTo(0), cli.StdErr);
        Assert.That(cli.StdErr, Does.Contain($"generation: {Tokens} tokens"));
        return cli.StdOut;
    }

    [Test]
    public void AConsoleAppRestoredFromTheFeedPrintsWhatTheCliPrints()
    {
        string app = Path.Combine(_work, "app");
        Directory.CreateDirectory(app);
        File.WriteAllText(Path.Combine(app, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <NuGetAudit>false</NuGetAudit>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Minerva.Native" Version="{_version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using Minerva.Native;
            using Minerva.Native.Generation;

            string model = args[0], prompt = args[1];
            using var llama = LlamaModel.Load(model, new ModelOptions { Device = DeviceKind.Cpu, Threads = 2 });
            using var session = llama.CreateSession();
            var options = GenerationOptions.Greedy with { MaxTokens = int.Parse(args[2]), IgnoreEos = true };
            Console.Write(prompt);
            await foreach (string piece in session.GenerateAsync(prompt, options))
                Console.Write(piece);
            Console.WriteLine();
            """);

        ChildProcess.DotnetOk(app, StepGuard, _consumerEnv, "restore", "--configfile", _config);
        ChildProcess.DotnetOk(app, StepGuard, _consumerEnv, "build", "-c", "Release", "--no-restore", "--disable-build-servers", "-nologo");
        string packages = _consumerEnv["NUGET_PACKAGES"];
        Assert.That(Directory.GetDirectories(packages).Select(d => Path.GetFileName(d)), Is.EqualTo(new[] { "minerva.native" }),
            "only the engine comes from the feed; its dependencies from the global packages folder");
        string bin = Path.Combine(app, "bin", "Release", "net10.0");
        Assert.That(File.Exists(Path.Combine(bin, "Minerva.Native.dll")));
        Assert.That(Directory.GetDirectories(bin), Is.Empty, "no native binaries (runtimes/) come with the package");

        var run = ChildProcess.Run(ChildProcess.Dotnet!, [Path.Combine(bin, "Consumer.dll"), _model, Prompt, Tokens.ToString()], app, RunGuard);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.StdOut, Does.StartWith(Prompt).And.Length.GreaterThan(Prompt.Length + 1));
        Assert.That(run.StdOut, Is.EqualTo(CliText()), "the packaged engine's greedy text must be the CLI's");
    }

    [Test]
    public void TheToolInstallsFromTheFeedAndRuns()
    {
        string tools = Path.Combine(_work, "tools");
        ChildProcess.DotnetOk(_work, StepGuard, _consumerEnv, "tool", "install", "minerva-native", "--tool-path", tools,
            "--configfile", _config, "--version", _version);
        string tool = Path.Combine(tools, OperatingSystem.IsWindows() ? "minerva-native.exe" : "minerva-native");
        Assert.That(File.Exists(tool), $"no {tool} after dotnet tool install");

        var info = ChildProcess.Run(tool, ["info", _model], _work, RunGuard);
        Assert.That(info.ExitCode, Is.EqualTo(0), info.ToString());
        long parameters;
        using (var f = GgufFile.Open(_model)) parameters = f.Tensors.Sum(t => t.Dims.Aggregate(1L, (a, b) => a * b));
        Assert.That(info.StdOut, Does.Match(@"(?m)^architecture\s+llama\s*$"));
        Assert.That(info.StdOut, Does.Match($@"(?m)^parameters\s+{parameters}\s*$"));
        Assert.That(info.StdOut, Does.Match(@"(?m)^\s+layers\s+2\s*$"));

        var run = ChildProcess.Run(tool, ["run", "-m", _model, "-p", Prompt, "-n", Tokens.ToString(), "--temp", "0", "--ignore-eos", "--device", "cpu", "--threads", "2"], _work, RunGuard);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.StdOut, Is.EqualTo(CliText()), "the installed tool prints what the built CLI prints");
    }

    [Test]
    public void ThePackagesHoldOnlyManagedAssembliesAndTheEngineEmbedsTheKernels()
    {
        string[] packages = Directory.GetFiles(_feed, "*.nupkg");
        Assert.That(packages.Select(p => Path.GetFileName(p)), Is.EquivalentTo(new[] { $"Minerva.Native.{_version}.nupkg", $"minerva-native.{_version}.nupkg" }));
        string builtPtx = Path.Combine(TestPaths.RepoRoot, "build", "ptx");
        int ptxFiles = Directory.Exists(builtPtx) ? Directory.GetFiles(builtPtx, "*.ptx").Length : 0;
        foreach (string package in packages)
        {
            using var zip = ZipFile.OpenRead(package);
            foreach (var entry in zip.Entries)
            {
                Assert.That(entry.FullName, Does.Not.StartWith("runtimes/"), $"{Path.GetFileName(package)}: native assets");
                Assert.That(Path.GetExtension(entry.Name), Is.Not.AnyOf(".so", ".dylib", ".exe", ".a", ".lib", ".ptx", ".cubin", ".fatbin"),
                    $"{Path.GetFileName(package)}: {entry.FullName}");
                if (!entry.Name.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)) continue;
                using var buffer = new MemoryStream();
                using (var s = entry.Open()) s.CopyTo(buffer);
                buffer.Position = 0;
                using var pe = new PEReader(buffer);
                Assert.That(pe.HasMetadata, $"{Path.GetFileName(package)}: {entry.FullName} is not a managed assembly");
                if (entry.Name != "Minerva.Native.dll") continue;
                var metadata = pe.GetMetadataReader();
                var kernels = metadata.ManifestResources.Select(h => metadata.GetString(metadata.GetManifestResource(h).Name))
                    .Where(n => Regex.IsMatch(n, @"^kernels/.+\.ptx$")).ToArray();
                Assert.That(kernels, Has.Length.EqualTo(ptxFiles), $"{Path.GetFileName(package)}: {entry.FullName} embeds one resource per build/ptx file");
            }
        }
    }
}
