// What the numbers were measured on: CPU (/proc/cpuinfo "model name"), cores, SIMD width, memory read bandwidth, GPU, engine version and commit.
using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Minerva.Native.Cli.Bench;

/// <summary>The machine and build a result file belongs to; every record carries a copy.</summary>
public sealed record BenchMachine
{
    public string CpuModel { get; init; } = "";
    public int Cores { get; init; }
    public int SimdWidthBits { get; init; }
    public string GpuName { get; init; } = "";
    public string GpuDriver { get; init; } = "";
    public string Engine { get; init; } = "";
    public string EngineVersion { get; init; } = "";
    public string GitCommit { get; init; } = "";
    public string Os { get; init; } = "";
    public string Runtime { get; init; } = "";
    /// <summary>Memory read bandwidth the bench probed before its CPU cells, GB/s (10^9 bytes/s); null when not probed.</summary>
    public double? ReadBandwidthGBps { get; init; }
    /// <summary>Threads that read at once in that probe.</summary>
    public int? ReadBandwidthThreads { get; init; }

    /// <summary>"21.4 GB/s (2 threads)", or null when not probed.</summary>
    public string? ReadBandwidthText() => ReadBandwidthGBps is { } gbps
        ? FormattableString.Invariant($"{gbps:F1} GB/s ({ReadBandwidthThreads} thread{(ReadBandwidthThreads == 1 ? "" : "s")})")
        : null;

    public static BenchMachine Detect(IBenchEngine engine, Assembly? versionSource = null)
    {
        var gpu = engine.Gpu;
        return new BenchMachine
        {
            CpuModel = CpuModelName(),
            Cores = Environment.ProcessorCount,
            SimdWidthBits = engine.SimdWidthBits > 0 ? engine.SimdWidthBits : HardwareSimdBits(),
            GpuName = gpu?.Name ?? "",
            GpuDriver = gpu?.Driver ?? "",
            Engine = engine.Name,
            EngineVersion = engine.Version,
            GitCommit = GitCommitOf(versionSource ?? Assembly.GetEntryAssembly() ?? typeof(BenchMachine).Assembly),
            Os = RuntimeInformation.OSDescription,
            Runtime = RuntimeInformation.FrameworkDescription,
        };
    }

    /// <summary>Copies the machine columns into a record.</summary>
    public void Stamp(BenchRecord r)
    {
        r.Engine = Engine;
        r.EngineVersion = EngineVersion;
        r.GitCommit = GitCommit;
        r.CpuModel = CpuModel;
        r.Cores = Cores;
        r.SimdWidthBits = SimdWidthBits;
        r.GpuName = GpuName;
        r.GpuDriver = GpuDriver;
        r.Os = Os;
        r.Runtime = Runtime;
    }

    /// <summary>The widest vector the hardware accelerates (what a Vector512 → Vector256 → Vector128 cascade would pick).</summary>
    public static int HardwareSimdBits() =>
        Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : Vector128.IsHardwareAccelerated ? 128 : 0;

    public static string CpuModelName()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
                foreach (string line in File.ReadLines("/proc/cpuinfo"))
                    if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':') is int c and > 0)
                        return line[(c + 1)..].Trim();
        }
        catch (IOException) { }
        return Environment.GetEnvironmentVariable("PROCESSOR_IDENTIFIER") ?? RuntimeInformation.ProcessArchitecture.ToString();
    }

    /// <summary>`git rev-parse HEAD` where the binary lives (a source checkout) when git answers, else the "+sha" the SDK puts in the informational version.</summary>
    public static string GitCommitOf(Assembly assembly)
    {
        if (RunGit("rev-parse HEAD") is { Length: 40 } sha) return sha + (RunGit("status --porcelain --untracked-files=no") is { Length: > 0 } ? "-dirty" : "");
        string? info = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        int plus = info?.IndexOf('+') ?? -1;
        return plus >= 0 ? info![(plus + 1)..] : "";
    }

    private static string? RunGit(string arguments)
    {
        try
        {
            var psi = new ProcessStartInfo("git", arguments)
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
                WorkingDirectory = AppContext.BaseDirectory,
            };
            using var p = Process.Start(psi);
            if (p is null) return null;
            string output = p.StandardOutput.ReadToEnd().Trim();
            p.StandardError.ReadToEnd();
            if (!p.WaitForExit(5000)) { p.Kill(); return null; }
            return p.ExitCode == 0 ? output : null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            return null;
        }
    }
}
