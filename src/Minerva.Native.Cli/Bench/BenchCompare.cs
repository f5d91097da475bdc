// Ours vs llama.cpp per cell, matched on (scenario, prompt/gen sizes, streams, format, model file, device); ratio = ours / peer on medians.
using System.Globalization;

namespace Minerva.Native.Cli.Bench;

/// <summary>One matched cell: medians of both engines (the aggregate and rows per step only in the concurrency scenario).</summary>
public sealed record CompareRow(
    string Scenario, string Format, string ModelFile, string Device,
    double OurGen, double PeerGen, double OurPrompt, double PeerPrompt, double OurTtft, double PeerTtft,
    int Concurrency = 1, double? OurAggregate = null, double? PeerAggregate = null, double? OurRowsPerStep = null, double? PeerRowsPerStep = null)
{
    /// <summary>Ours / llama.cpp generation tokens/s (above 1: we are faster).</summary>
    public double GenRatio => PeerGen > 0 ? OurGen / PeerGen : double.NaN;
    public double PromptRatio => PeerPrompt > 0 ? OurPrompt / PeerPrompt : double.NaN;
    /// <summary>Ours / llama.cpp aggregate tokens/s of all streams.</summary>
    public double AggregateRatio => PeerAggregate > 0 && OurAggregate is { } ours ? ours / PeerAggregate.Value : double.NaN;
    public bool IsConcurrent => OurAggregate is not null;
}

/// <summary>A --compare result: the matched rows and how many of our cells the peer file lacks.</summary>
public sealed record BenchComparison(string PeerPath, IReadOnlyList<CompareRow> Rows, int Unmatched);

public static class BenchCompare
{
    private readonly record struct Key(string Scenario, int Prompt, int Gen, int Concurrency, string Format, string ModelFile, string Device);

    private static Key KeyOf(BenchRecord r) =>
        new(r.Scenario, r.PromptTokens, r.GenTokens, r.Concurrency, r.Format.ToLowerInvariant(), r.ModelFile, r.Device.ToLowerInvariant());

    /// <summary>Cells present in both; <paramref name="unmatched"/> counts our cells the peer file lacks.</summary>
    public static List<CompareRow> Match(IReadOnlyList<BenchRecord> ours, IReadOnlyList<BenchRecord> peer, out int unmatched)
    {
        var peerCells = peer.GroupBy(KeyOf).ToDictionary(g => g.Key, g => g.ToList());
        var rows = new List<CompareRow>();
        unmatched = 0;
        foreach (var cell in ours.GroupBy(KeyOf))
        {
            if (!peerCells.TryGetValue(cell.Key, out var p)) { unmatched++; continue; }
            static double M(IEnumerable<double> v) => BenchRunner.Median(v);
            static double? Optional(IEnumerable<double?> v) => v.Any(x => x is null) ? null : BenchRunner.Median(v.Select(x => x!.Value));
            bool concurrent = BenchScenario.IsConcurrent(cell.First());
            rows.Add(new CompareRow(cell.Key.Scenario, cell.Key.Format, cell.Key.ModelFile, cell.Key.Device,
                M(cell.Select(r => r.GenTokensPerSec)), M(p.Select(r => r.GenTokensPerSec)),
                M(cell.Select(r => r.PromptTokensPerSec)), M(p.Select(r => r.PromptTokensPerSec)),
                M(cell.Select(r => r.TtftMs)), M(p.Select(r => r.TtftMs)),
                cell.Key.Concurrency,
                concurrent ? M(cell.Select(r => r.AggregateGenTokensPerSec ?? 0)) : null,
                concurrent ? M(p.Select(r => r.AggregateGenTokensPerSec ?? 0)) : null,
                concurrent ? Optional(cell.Select(r => r.RowsPerStep)) : null,
                concurrent ? Optional(p.Select(r => r.RowsPerStep)) : null));
        }
        return rows;
    }

    public static void Print(TextWriter w, IReadOnlyList<CompareRow> rows, int unmatched, string peerPath)
    {
        w.WriteLine();
        w.WriteLine(Heading(peerPath));
        if (rows.Count == 0)
        {
            w.WriteLine("  " + NoMatch);
            return;
        }
        var tables = Tables(rows);
        for (int i = 0; i < tables.Count; i++)
        {
            if (i > 0) w.WriteLine();
            BenchSummary.WriteTable(w, tables[i]);
        }
        if (UnmatchedNote(unmatched) is { } note) w.WriteLine("  " + note);
    }

    public static string Heading(string peerPath) => $"versus llama.cpp ({peerPath}); ratio = ours / llama.cpp, above 1 means faster:";

    public const string NoMatch = "no cell matched (scenario, sizes, streams, format, model file and device must all agree)";

    public static string? UnmatchedNote(int unmatched) => unmatched > 0
        ? $"({unmatched} of our cells have no llama.cpp row: safetensors cells and unmatched files are not compared)"
        : null;

    /// <summary>The single-session table and the concurrency table, each when it has rows (row 0 the header).</summary>
    public static List<List<string[]>> Tables(IReadOnlyList<CompareRow> rows)
    {
        static string F(double v, string f) => double.IsFinite(v) ? v.ToString(f, CultureInfo.InvariantCulture) : "-";
        static string O(double? v, string f) => v is { } x ? F(x, f) : "-";
        var tables = new List<List<string[]>>();
        if (rows.Any(r => !r.IsConcurrent))
        {
            var table = new List<string[]>
            {
                new[] { "scenario", "model", "device", "gen t/s", "llama.cpp", "ratio", "prompt t/s", "llama.cpp", "ratio", "ttft ms", "llama.cpp" },
            };
            foreach (var r in rows.Where(r => !r.IsConcurrent))
                table.Add([r.Scenario, r.ModelFile, r.Device, F(r.OurGen, "F2"), F(r.PeerGen, "F2"), F(r.GenRatio, "F2") + "x",
                           F(r.OurPrompt, "F1"), F(r.PeerPrompt, "F1"), F(r.PromptRatio, "F2") + "x", F(r.OurTtft, "F1"), F(r.PeerTtft, "F1")]);
            tables.Add(table);
        }
        if (rows.Any(r => r.IsConcurrent))
        {
            var table = new List<string[]>
            {
                new[] { "scenario", "model", "device", "streams", "aggregate t/s", "llama.cpp", "ratio", "per-stream t/s", "llama.cpp", "ratio",
                        "ttft ms", "llama.cpp", "rows/step", "llama.cpp" },
            };
            foreach (var r in rows.Where(r => r.IsConcurrent))
                table.Add([r.Scenario, r.ModelFile, r.Device, r.Concurrency.ToString(CultureInfo.InvariantCulture),
                           O(r.OurAggregate, "F2"), O(r.PeerAggregate, "F2"), F(r.AggregateRatio, "F2") + "x",
                           F(r.OurGen, "F2"), F(r.PeerGen, "F2"), F(r.GenRatio, "F2") + "x",
                           F(r.OurTtft, "F1"), F(r.PeerTtft, "F1"), O(r.OurRowsPerStep, "F2"), O(r.PeerRowsPerStep, "F2")]);
            tables.Add(table);
        }
        return tables;
    }
}
