// What one invocation measured, as written to JSON: target, prompt, options, the machine, and per level its summary
// and every request.
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Minerva.Native.LoadGen;

internal sealed record LevelReport(LevelSummary Summary, IReadOnlyList<RequestResult> Requests);

internal sealed record LoadReport(
    string Tool, string Mode, string Target, string? ModelId, string PromptText, int PromptTokens, int MaxTokens,
    MachineInfo Machine, DateTimeOffset Started, IReadOnlyList<LevelReport> Levels)
{
    public IEnumerable<LevelSummary> Summaries => Levels.Select(l => l.Summary);
    public bool AllOk => Levels.All(l => l.Summary.Errors == 0);
}

/// <summary>CPU (/proc/cpuinfo "model name"), logical cores, OS, runtime and the checkout's commit, best effort.</summary>
internal sealed record MachineInfo(string Cpu, int Cores, string Os, string Runtime, string GitCommit)
{
    public static MachineInfo Detect() => new(CpuName(), Environment.ProcessorCount, RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription, ShortCommit());

    private static string CpuName()
    {
        try
        {
            string? line = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) : null;
            return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }

    private static string ShortCommit()
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", "rev-parse --short HEAD") { RedirectStandardOutput = true, RedirectStandardError = true });
            if (git is null) return "";
            string sha = git.StandardOutput.ReadToEnd().Trim();
            return git.WaitForExit(5000) && git.ExitCode == 0 ? sha : "";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "";   // no git on this machine
        }
    }
}
