// Headless Chromium as a test oracle for the HTML report: $MINERVA_CHROMIUM or the first chromium/chrome on PATH.
using System.Diagnostics;

namespace Minerva.Native.Tests.Bench;

public static class Chromium
{
    /// <summary>The browser's path, or null where none is installed (./build.sh test installs Debian's chromium when apt is usable).</summary>
    public static string? Path { get; } = Find();

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable("MINERVA_CHROMIUM") is { Length: > 0 } env && File.Exists(env)) return env;
        string[] dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        foreach (string name in new[] { "chromium", "chromium-browser", "google-chrome", "google-chrome-stable" })
            foreach (string dir in dirs)
                if (System.IO.Path.Combine(dir, name) is var candidate && File.Exists(candidate)) return candidate;
        return null;
    }

    /// <summary>Runs headless with a fresh profile; returns standard output (what --dump-dom prints).</summary>
    public static string Run(params string[] args)
    {
        if (Path is null) throw new InvalidOperationException("no chromium");
        string profile = TestPaths.NewScratch("chromium-profile");
        try
        {
            var psi = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string a in (string[])["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                         "--hide-scrollbars", $"--user-data-dir={profile}", .. args])
                psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            // A hang guard only: a run takes about a second.
            if (!p.WaitForExit(TimeSpan.FromMinutes(3)))
            {
                p.Kill(true);
                Assert.Fail($"chromium {string.Join(' ', args)} did not finish in 3 minutes");
            }
            Assert.That(p.ExitCode, Is.EqualTo(0), stderr.Result);
            return stdout.Result;
        }
        finally
        {
            try { Directory.Delete(profile, true); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }
}
