// Summary tables: per scenario, per (model, device) the median of the counted runs with the min..max spread, the decode
// ceiling of CPU cells and the share of it generation reached, and the GGUF/safetensors gap; the concurrency scenario per
// (model, device, streams), with the aggregate speed-up over one stream.
using System.Globalization;

namespace Minerva.Native.Cli.Bench;

/// <summary>Median and spread of one metric over the runs of a cell.</summary>
public readonly record struct Spread(double Median, double Min, double Max)
{
    public static Spread Of(IEnumerable<double> values)
    {
        double[] v = [.. values];
        return v.Length == 0 ? new Spread(double.NaN, double.NaN, double.NaN) : new Spread(BenchRunner.Median(v), v.Min(), v.Max());
    }

    public string Format(string f) => double.IsNaN(Median) ? "-"
        : Min == Max ? Median.ToString(f, CultureInfo.InvariantCulture)
        : FormattableString.Invariant($"{Median.ToString(f, CultureInfo.InvariantCulture)} ({Min.ToString(f, CultureInfo.InvariantCulture)}..{Max.ToString(f, CultureInfo.InvariantCulture)})");
}

/// <summary>One summary block as the console prints it: a caption line, a table (row 0 the header), lines under it.</summary>
public sealed record SummaryTable(string Caption, IReadOnlyList<string[]> Rows, IReadOnlyList<string> Notes);

public static class BenchSummary
{
    /// <summary>"GGUF Q4_K_M", "SafeTensors BF16", or the format and model file when the type is unknown.</summary>
    public static string LabelOf(BenchRecord r) => new BenchTarget(r.ModelFile, r.Format, r.QuantType).Label;

    public static void Print(TextWriter w, IReadOnlyList<BenchRecord> records)
    {
        foreach (var table in Tables(records))
        {
            w.WriteLine();
            w.WriteLine(table.Caption);
            WriteTable(w, table.Rows);
            foreach (string note in table.Notes) w.WriteLine("  " + note);
        }
    }

    /// <summary>One table per scenario (and prompt/generation sizes), in the order the records came.</summary>
    public static IEnumerable<SummaryTable> Tables(IReadOnlyList<BenchRecord> records)
    {
        foreach (var byScenario in records.GroupBy(r => (r.Scenario, r.PromptTokens, r.GenTokens)))
        {
            if (BenchScenario.IsConcurrent(byScenario.First()))
            {
                yield return ConcurrentTable([.. byScenario]);
                continue;
            }
            var (scenario, prompt, gen) = byScenario.Key;
            int runs = byScenario.GroupBy(r => (LabelOf(r), r.Device)).Max(g => g.Count());
            string caption = $"{scenario}: {prompt} prompt tokens, {gen} generated; median of {runs} run{(runs == 1 ? "" : "s")} (min..max)";
            var cells = byScenario.GroupBy(r => (Label: LabelOf(r), r.Device)).ToList();
            bool ceiling = HasCeiling(byScenario);
            string[] header = ["model", "device", "load ms", "ttft ms", "prompt t/s", "gen t/s", .. (ceiling ? CeilingHeader : []), "max RSS MiB", "max GPU MiB"];
            var rows = new List<string[]> { header };
            foreach (var cell in cells)
            {
                var rs = cell.ToList();
                rows.Add(
                [
                    cell.Key.Label, cell.Key.Device,
                    Spread.Of(rs.Select(r => r.LoadMs)).Format("F0"),
                    Spread.Of(rs.Select(r => r.TtftMs)).Format("F1"),
                    Spread.Of(rs.Select(r => r.PromptTokensPerSec)).Format("F1"),
                    Spread.Of(rs.Select(r => r.GenTokensPerSec)).Format("F2"),
                    .. (ceiling ? CeilingCells(rs) : []),
                    MaxText(rs.Select(r => r.PeakHostMiB)),
                    MaxText(rs.Where(r => r.PeakGpuMiB is not null).Select(r => r.PeakGpuMiB!.Value)),
                ]);
            }
            yield return new SummaryTable(caption, rows, [.. GapLines(byScenario.ToList())]);
        }
    }

    /// <summary>The concurrency scenario: one row per (model, device, streams), then the aggregate scaling lines.</summary>
    private static SummaryTable ConcurrentTable(IReadOnlyList<BenchRecord> records)
    {
        var first = records[0];
        int runs = records.GroupBy(r => (LabelOf(r), r.Device, r.Concurrency)).Max(g => g.Count());
        string caption = $"{first.Scenario}: streams at once on one model, each {first.PromptTokens} prompt tokens and {first.GenTokens} generated; median of {runs} run{(runs == 1 ? "" : "s")} (min..max)";
        bool ceiling = HasCeiling(records);
        string[] header = ["model", "device", "streams", "aggregate t/s", "per-stream t/s", .. (ceiling ? CeilingHeader : []), "ttft ms", "rows/step", "prompt t/s", "load ms", "max RSS MiB", "max GPU MiB"];
        var rows = new List<string[]> { header };
        foreach (var cell in records.GroupBy(r => (Label: LabelOf(r), r.Device, r.Concurrency)))
        {
            var rs = cell.ToList();
            rows.Add(
            [
                cell.Key.Label, cell.Key.Device, cell.Key.Concurrency.ToString(CultureInfo.InvariantCulture),
                Spread.Of(rs.Where(r => r.AggregateGenTokensPerSec is not null).Select(r => r.AggregateGenTokensPerSec!.Value)).Format("F2"),
                Spread.Of(rs.Select(r => r.GenTokensPerSec)).Format("F2"),
                .. (ceiling ? CeilingCells(rs) : []),
                Spread.Of(rs.Select(r => r.TtftMs)).Format("F1"),
                Spread.Of(rs.Where(r => r.RowsPerStep is not null).Select(r => r.RowsPerStep!.Value)).Format("F2"),
                Spread.Of(rs.Select(r => r.PromptTokensPerSec)).Format("F1"),
                Spread.Of(rs.Select(r => r.LoadMs)).Format("F0"),
                MaxText(rs.Select(r => r.PeakHostMiB)),
                MaxText(rs.Where(r => r.PeakGpuMiB is not null).Select(r => r.PeakGpuMiB!.Value)),
            ]);
        }
        return new SummaryTable(caption, rows, [.. ScalingLines(records)]);
    }

    /// <summary>Per (model, device): median aggregate tokens/s at each stream count over the one-stream value, "cpu GGUF Q4_K_M: aggregate x4 2.90x, x8 3.40x of x1".</summary>
    public static IEnumerable<string> ScalingLines(IReadOnlyList<BenchRecord> concurrentRecords)
    {
        foreach (var cell in concurrentRecords.GroupBy(r => (Label: LabelOf(r), r.Device)))
        {
            var byStreams = cell.GroupBy(r => r.Concurrency).OrderBy(g => g.Key)
                .ToDictionary(g => g.Key, g => BenchRunner.Median(g.Select(r => r.AggregateGenTokensPerSec ?? double.NaN)));
            if (!byStreams.TryGetValue(1, out double one) || !(one > 0) || byStreams.Count < 2) continue;
            var parts = byStreams.Where(p => p.Key != 1).Select(p => FormattableString.Invariant($"x{p.Key} {p.Value / one:F2}x"));
            yield return $"{cell.Key.Device} {cell.Key.Label}: aggregate {string.Join(", ", parts)} of x1";
        }
    }

    private static readonly string[] CeilingHeader = ["gen ceiling t/s", "% of ceiling"];

    /// <summary>Whether any run has a decode ceiling (CPU cells of a bench that probed the memory).</summary>
    private static bool HasCeiling(IEnumerable<BenchRecord> records) => records.Any(r => r.GenCeilingTokensPerSec is not null);

    /// <summary>Median ceiling and median share of it ("-" for cells without, such as the GPU's).</summary>
    private static string[] CeilingCells(IReadOnlyList<BenchRecord> runs)
    {
        var with = runs.Where(r => r.GenCeilingTokensPerSec is not null && r.GenPercentOfCeiling is not null).ToList();
        if (with.Count == 0) return ["-", "-"];
        return [BenchRunner.Median(with.Select(r => r.GenCeilingTokensPerSec!.Value)).ToString("F1", CultureInfo.InvariantCulture),
                BenchRunner.Median(with.Select(r => r.GenPercentOfCeiling!.Value)).ToString("F0", CultureInfo.InvariantCulture) + "%"];
    }

    private static string MaxText(IEnumerable<double> values) =>
        values.DefaultIfEmpty(double.NaN).Max() is var m && double.IsNaN(m) ? "-" : m.ToString("F0", CultureInfo.InvariantCulture);

    /// <summary>Per device, each GGUF model against each safetensors model on generation speed: "GGUF Q4_K_M 30.4 t/s | SafeTensors BF16 18.8 t/s | gap 1.62x".</summary>
    public static IEnumerable<string> GapLines(IReadOnlyList<BenchRecord> scenarioRecords)
    {
        foreach (var byDevice in scenarioRecords.GroupBy(r => r.Device))
        {
            var cells = byDevice.GroupBy(LabelOf).Select(g => (Label: g.Key, g.First().Format, Gen: BenchRunner.Median(g.Select(r => r.GenTokensPerSec)))).ToList();
            foreach (var gguf in cells.Where(c => c.Format == "gguf"))
            foreach (var st in cells.Where(c => c.Format == "safetensors"))
            {
                string gap = st.Gen > 0 ? FormattableString.Invariant($"{gguf.Gen / st.Gen:F2}x") : "-";
                yield return FormattableString.Invariant($"{byDevice.Key}: {gguf.Label} {gguf.Gen:F1} t/s | {st.Label} {st.Gen:F1} t/s | gap {gap}");
            }
        }
    }

    /// <summary>Left-aligned text columns, two spaces apart, a dashed rule under the header.</summary>
    public static void WriteTable(TextWriter w, IReadOnlyList<string[]> rows)
    {
        int cols = rows.Max(r => r.Length);
        var width = new int[cols];
        foreach (var row in rows)
            for (int c = 0; c < row.Length; c++) width[c] = Math.Max(width[c], row[c].Length);
        for (int i = 0; i < rows.Count; i++)
        {
            w.WriteLine("  " + string.Join("  ", rows[i].Select((s, c) => s.PadRight(width[c]))).TrimEnd());
            if (i == 0) w.WriteLine("  " + string.Join("  ", width.Select(n => new string('-', n))));
        }
    }
}
