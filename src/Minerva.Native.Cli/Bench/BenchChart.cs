// The result chart: median generation and prompt tokens/s per (format/type × device) group, one bar per scenario
// (the concurrency scenario: one bar per stream count, its generation bar the aggregate of all streams).
using Minerva.Native.Cli.Bench.Chart;

namespace Minerva.Native.Cli.Bench;

public static class BenchChart
{
    public static Canvas Render(IReadOnlyList<BenchRecord> records, BenchMachine machine)
    {
        var cells = records.Select(r => (Label: BenchSummary.LabelOf(r), r.Device)).Distinct().ToList();
        static string SeriesOf(BenchRecord r) => BenchScenario.IsConcurrent(r) ? $"{r.Scenario} x{r.Concurrency}" : r.Scenario;
        var scenarios = records.Select(SeriesOf).Distinct().ToList();
        var series = scenarios.Select((s, i) => new BarSeries(s, BarChart.Palette[i % BarChart.Palette.Length])).ToList();
        string[][] groupLabels = [.. cells.Select(c => new[] { c.Label, c.Device })];

        double[,] Medians(Func<BenchRecord, double> metric)
        {
            var v = new double[cells.Count, scenarios.Count]; // [group, scenario]
            for (int g = 0; g < cells.Count; g++)
                for (int s = 0; s < scenarios.Count; s++)
                {
                    var runs = records.Where(r => BenchSummary.LabelOf(r) == cells[g].Label && r.Device == cells[g].Device && SeriesOf(r) == scenarios[s]).ToList();
                    v[g, s] = runs.Count == 0 ? double.NaN : BenchRunner.Median(runs.Select(metric));
                }
            return v;
        }

        string title = $"{machine.Engine} {machine.EngineVersion} - {Shorten(machine.CpuModel, 40)}" + (machine.GpuName.Length > 0 ? $" / {machine.GpuName}" : "");
        return BarChart.Render(title, series,
        [
            new BarPanel("Generation (median of decode steps; concurrent: all streams)", "generated tokens/s", groupLabels,
                Medians(r => r.AggregateGenTokensPerSec ?? r.GenTokensPerSec)),
            new BarPanel("Prompt processing (one batch)", "prompt tokens/s", groupLabels, Medians(r => r.PromptTokensPerSec)),
        ]);
    }

    public static void Write(string path, IReadOnlyList<BenchRecord> records, BenchMachine machine)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir) Directory.CreateDirectory(dir);
        File.WriteAllBytes(path, Render(records, machine).ToPng());
    }

    private static string Shorten(string s, int max) => s.Length <= max ? s : s[..(max - 3)] + "...";
}
