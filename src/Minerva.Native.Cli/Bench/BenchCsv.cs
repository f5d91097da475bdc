// RFC 4180 CSV of BenchRecord rows (header = property names, invariant culture), via CsvHelper.
using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;

namespace Minerva.Native.Cli.Bench;

/// <summary>Writes and reads the one-row-per-run CSV both engines produce.</summary>
public static class BenchCsv
{
    private static CsvConfiguration Config => new(CultureInfo.InvariantCulture) { HasHeaderRecord = true };

    /// <summary>The column names, in file order.</summary>
    public static IReadOnlyList<string> Columns { get; } = [.. typeof(BenchRecord).GetProperties().Select(p => p.Name)];

    public static void Write(string path, IEnumerable<BenchRecord> records)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir) Directory.CreateDirectory(dir);
        using var writer = new StreamWriter(path);
        using var csv = new CsvWriter(writer, Config);
        csv.WriteRecords(records);
    }

    public static List<BenchRecord> Read(string path)
    {
        using var reader = new StreamReader(path);
        using var csv = new CsvReader(reader, Config);
        try
        {
            return [.. csv.GetRecords<BenchRecord>()];
        }
        catch (CsvHelperException e)
        {
            throw new InvalidDataException($"{path}: not a bench CSV ({e.GetType().Name}: {FirstLine(e.Message)})", e);
        }
    }

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();
}
