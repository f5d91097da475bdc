// The result chart (SVG): median generation and prompt tokens/s per (format/type × device) group, one bar per scenario
// (the concurrency scenario: one bar per stream count, its generation bar the aggregate of all streams).
using Minerva.Native.Cli.Bench.Report;

namespace Minerva.Native.Cli.Bench;

public static class BenchChart
{
    public static string Render(IReadOnlyList<BenchRecord> records, BenchMachine machine)
    {
        var cells = records.Select(r => (Label: BenchSummary.LabelOf(r), r.Device)).Distinct().ToList();
        var scenarios = records.Select(SeriesOf).Distinct().ToList();
        var series = scenarios.Select((s, i) => new BarSeries(s, SvgBarChart.Palette[i % SvgBarChart.Palette.Length])).ToList();
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

        return SvgBarChart.Render(Title(machine), Subtitle(machine), series,
        [
            new BarPanel("Generation (median of decode steps; concurrent: all streams)", "generated tokens/s", groupLabels,
                Medians(r => r.AggregateGenTokensPerSec ?? r.GenTokensPerSec)),
            new BarPanel("Prompt processing (one batch)", "prompt tokens/s", groupLabels, Medians(r => r.PromptTokensPerSec)),
        ]);
    }

    /// <summary>The legend name of a record: its scenario, "concurrent x4" for a stream count.</summary>
    public static string SeriesOf(BenchRecord r) => BenchScenario.IsConcurrent(r) ? $"{r.Scenario} x{r.Concurrency}" : r.Scenario;

    /// <summary>"minerva-native 0.1.0 on AMD EPYC 7763 / NVIDIA H100".</summary>
    public static string Title(BenchMachine m) => $"{m.Engine} {m.EngineVersion} on {m.CpuModel}" + (m.GpuName.Length > 0 ? $" / {m.GpuName}" : "");

    /// <summary>"2 cores, SIMD 512 bit, commit 1a2b3c4d5e-dirty, Linux 6.1, .NET 10.0.0".</summary>
    public static string Subtitle(BenchMachine m) => string.Join(", ", new[]
    {
        $"{m.Cores} cores", $"SIMD {m.SimdWidthBits} bit", m.GpuDriver.Length > 0 ? $"driver {m.GpuDriver}" : "",
        m.GitCommit.Length > 0 ? $"commit {(m.GitCommit.Length >= 40 ? m.GitCommit[..10] + m.GitCommit[40..] : m.GitCommit)}" : "", m.Os, m.Runtime,
    }.Where(s => s.Length > 0));
}
