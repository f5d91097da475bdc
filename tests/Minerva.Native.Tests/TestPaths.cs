namespace Minerva.Native.Tests;

/// <summary>Where the repository, ../shared and a per-run scratch folder are.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>
    /// The shared reference data: $MINERVA_SHARED, else ../shared beside the checkout, else shared/ inside the portable
    /// bundle (./build.sh portable copies the test data there).
    /// </summary>
    public static string Shared =>
        Environment.GetEnvironmentVariable("MINERVA_SHARED") is { Length: > 0 } env ? env
        : Directory.Exists(Path.Combine(RepoRoot, "..", "shared")) ? Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"))
        : Path.Combine(AppContext.BaseDirectory, "shared");

    public static string SharedTestData(params string[] parts) => Path.Combine([Shared, "testdata", .. parts]);

    /// <summary>A fresh folder under the system temp dir for one test (deleted by the caller or the OS).</summary>
    public static string NewScratch(string name)
    {
        string dir = Path.Combine(Path.GetTempPath(), "minerva-tests", $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Minerva.Native.sln"))) return dir.FullName;
        // The portable bundle carries no solution: fall back to the working directory.
        return Directory.GetCurrentDirectory();
    }
}
