// The SDK's `dotnet` and installed tools as child processes: quiet, without build servers or MSBuild state inherited from a
// parent build, under a hang guard far above their normal time (killed with their children, the output so far reported).
using System.Diagnostics;

namespace Minerva.Native.Tests.Packaging;

public static class ChildProcess
{
    public sealed record Result(int ExitCode, string StdOut, string StdErr)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{StdOut}\n--- stderr\n{StdErr}";
    }

    /// <summary>The `dotnet` host that runs SDK commands: $DOTNET_HOST_PATH, else the first on PATH (links resolved); null without one.</summary>
    public static string? Dotnet { get; } = FindDotnet();

    private static string? FindDotnet()
    {
        string name = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host) candidates.Add(host);
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            candidates.Add(Path.Combine(dir, name));
        foreach (string path in candidates.Where(File.Exists))
            return new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path);
        return null;
    }

    public static Result Run(string file, IEnumerable<string> args, string workingDirectory, TimeSpan hangGuard, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        foreach (string key in psi.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            psi.Environment.Remove(key);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        psi.Environment["DOTNET_CLI_UI_LANGUAGE"] = "en";
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        if (Dotnet is not null) psi.Environment["DOTNET_ROOT"] = Path.GetDirectoryName(Dotnet);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;

        string command = $"{Path.GetFileName(file)} {string.Join(' ', args)}";
        TestContext.Progress.WriteLine($"[packaging] {command}");
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(hangGuard))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit(TimeSpan.FromSeconds(30));
            Task.WaitAll([stdout, stderr], TimeSpan.FromSeconds(30));
            Assert.Fail($"{command} did not finish in {hangGuard.TotalMinutes} minutes (killed)\n" +
                        $"--- stdout\n{(stdout.IsCompletedSuccessfully ? stdout.Result : "")}\n--- stderr\n{(stderr.IsCompletedSuccessfully ? stderr.Result : "")}");
        }
        if (!Task.WaitAll([stdout, stderr], TimeSpan.FromMinutes(2)))
            Assert.Fail($"{command} exited but a process it started still holds its output open");
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs an SDK command (`dotnet pack ...`) and fails the test, with its output, unless it exits 0.</summary>
    public static Result DotnetOk(string workingDirectory, TimeSpan hangGuard, IDictionary<string, string>? env, params string[] args)
    {
        var r = Run(Dotnet!, args, workingDirectory, hangGuard, env);
        Assert.That(r.ExitCode, Is.EqualTo(0), $"dotnet {string.Join(' ', args)}\n{r}");
        return r;
    }
}
