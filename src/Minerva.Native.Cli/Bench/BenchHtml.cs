// The HTML report: one self-contained page (inline CSS, the SVG chart inline, no scripts) with the machine, the summary
// tables the console prints, the llama.cpp comparison and the failed cells; well-formed XML as well as HTML5.
using System.Globalization;
using System.Text;
using Minerva.Native.Cli.Bench.Report;
using static Minerva.Native.Cli.Bench.Report.Markup;

namespace Minerva.Native.Cli.Bench;

public static class BenchHtml
{
    private const string Style = """
        body { font-family: 'DejaVu Sans', 'Segoe UI', Helvetica, Arial, sans-serif; color: #222; margin: 0 auto; padding: 24px; max-width: 1280px; line-height: 1.4; }
        h1 { font-size: 1.6em; margin: 0 0 4px; }
        h2 { font-size: 1.25em; margin: 32px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
        h3 { font-size: 1em; margin: 20px 0 6px; }
        .lead, footer { color: #555; }
        footer { margin-top: 40px; font-size: 0.85em; }
        table { border-collapse: collapse; font-size: 0.9em; }
        th, td { padding: 4px 10px; border-bottom: 1px solid #e5e5e5; text-align: left; vertical-align: top; }
        th, td:first-child { white-space: nowrap; }
        thead th { background: #f3f4f6; border-bottom: 2px solid #ccc; }
        tbody tr:nth-child(even) { background: #fafafa; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        table.kv th { background: none; font-weight: 600; color: #444; }
        .scroll { overflow-x: auto; margin-bottom: 12px; }
        ul.notes { margin: 6px 0 0; padding-left: 20px; color: #444; font-size: 0.9em; }
        figure { margin: 0; }
        figure svg { max-width: 100%; height: auto; border: 1px solid #e5e5e5; }
        .failed { color: #b00020; }
        """;

    public static string Render(BenchReport report, string? chartSvg, BenchComparison? comparison, IReadOnlyList<string> files)
    {
        var m = report.Machine;
        var html = new StringBuilder();
        string title = $"bench: {BenchChart.Title(m)}";
        html.Append($"""
            <!DOCTYPE html>
            <html lang="en" xmlns="http://www.w3.org/1999/xhtml">
            <head>
            <meta charset="utf-8" />
            <meta name="viewport" content="width=device-width, initial-scale=1" />
            <title>{Escape(title)}</title>
            <style>
            {Style}
            </style>
            </head>
            <body>
            <header>
            <h1>{Escape($"{m.Engine} {m.EngineVersion} benchmark")}</h1>
            <p class="lead">{Escape(Lead(report))}</p>
            </header>

            """);

        html.Append("<section id=\"machine\">\n<h2>Machine</h2>\n<table class=\"kv\">\n<tbody>\n");
        foreach (var (key, value) in MachineRows(report))
            html.Append($"<tr><th scope=\"row\">{Escape(key)}</th><td>{Escape(value)}</td></tr>\n");
        html.Append("</tbody>\n</table>\n</section>\n");

        if (chartSvg is not null)
            html.Append("<section id=\"chart\">\n<h2>Chart</h2>\n<figure>\n").Append(chartSvg).Append("</figure>\n</section>\n");

        html.Append("<section id=\"results\">\n<h2>Results</h2>\n");
        foreach (var table in BenchSummary.Tables(report.Records))
        {
            html.Append($"<h3>{Escape(table.Caption)}</h3>\n");
            Table(html, table.Rows);
            Notes(html, table.Notes);
        }
        html.Append("</section>\n");

        if (comparison is not null)
        {
            html.Append("<section id=\"compare\">\n<h2>Versus llama.cpp</h2>\n");
            html.Append($"<p>{Escape(BenchCompare.Heading(comparison.PeerPath))}</p>\n");
            if (comparison.Rows.Count == 0) html.Append($"<p>{Escape(BenchCompare.NoMatch)}</p>\n");
            else foreach (var rows in BenchCompare.Tables(comparison.Rows)) Table(html, rows);
            if (BenchCompare.UnmatchedNote(comparison.Unmatched) is { } note) Notes(html, [note]);
            html.Append("</section>\n");
        }

        if (report.Failures.Count > 0)
        {
            html.Append($"<section id=\"failures\">\n<h2 class=\"failed\">{report.Failures.Count} cell(s) failed</h2>\n");
            Notes(html, report.Failures);
            html.Append("</section>\n");
        }

        html.Append("<footer>Written by <code>minerva-native bench</code>");
        if (files.Count > 0) html.Append("; the same results in ").Append(string.Join(", ", files.Select(f => $"<a href=\"{Escape(Uri.EscapeDataString(f))}\">{Escape(f)}</a>")));
        html.Append(".</footer>\n</body>\n</html>\n");
        return html.ToString();
    }

    public static void Write(string path, BenchReport report, string? chartSvg, BenchComparison? comparison, IReadOnlyList<string> files)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir) Directory.CreateDirectory(dir);
        File.WriteAllText(path, Render(report, chartSvg, comparison, files));
    }

    /// <summary>"3 counted runs per cell after 1 warm-up run, 2 CPU threads; 16 runs from 2026-11-27 10:00:00 to 2026-11-27 10:04:12 UTC".</summary>
    private static string Lead(BenchReport r)
    {
        string span = r.Records.Count == 0 ? "no runs finished"
            : $"{r.Records.Count} run{(r.Records.Count == 1 ? "" : "s")} from {When(r.Records.Min(x => x.Timestamp)!)} to {When(r.Records.Max(x => x.Timestamp)!)} UTC";
        return $"{r.Runs} counted run{(r.Runs == 1 ? "" : "s")} per cell after {r.WarmupRuns} warm-up run{(r.WarmupRuns == 1 ? "" : "s")}, {r.Threads} CPU thread{(r.Threads == 1 ? "" : "s")}; {span}";
    }

    private static string When(string timestamp) =>
        DateTime.TryParse(timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t)
            ? t.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : timestamp;

    private static IEnumerable<(string, string)> MachineRows(BenchReport report)
    {
        var m = report.Machine;
        yield return ("Engine", $"{m.Engine} {m.EngineVersion}");
        if (m.GitCommit.Length > 0) yield return ("Commit", m.GitCommit);
        yield return ("CPU", m.CpuModel);
        yield return ("Cores", m.Cores.ToString(CultureInfo.InvariantCulture));
        yield return ("SIMD", $"{m.SimdWidthBits} bit");
        if (m.ReadBandwidthText() is { } bandwidth) yield return ("Memory read bandwidth", bandwidth);
        if (m.GpuName.Length > 0) yield return ("GPU", m.GpuDriver.Length > 0 ? $"{m.GpuName} (driver {m.GpuDriver})" : m.GpuName);
        foreach (string device in report.Records.Select(r => r.DeviceName).Where(d => d.Length > 0).Distinct())
            yield return ("Device", device);
        yield return ("OS", m.Os);
        yield return ("Runtime", m.Runtime);
    }

    /// <summary>Row 0 is the header; a column whose cells all start with a digit (or are "-") is right-aligned.</summary>
    private static void Table(StringBuilder html, IReadOnlyList<string[]> rows)
    {
        int cols = rows.Max(r => r.Length);
        var numeric = Enumerable.Range(0, cols)
            .Select(c => rows.Skip(1).All(r => c >= r.Length || r[c] is { Length: > 0 } s && (char.IsAsciiDigit(s[0]) || s == "-")))
            .ToArray();
        string Class(int c) => numeric[c] ? " class=\"num\"" : "";
        html.Append("<div class=\"scroll\">\n<table class=\"data\">\n<thead>\n<tr>");
        for (int c = 0; c < rows[0].Length; c++) html.Append($"<th scope=\"col\"{Class(c)}>{Escape(rows[0][c])}</th>");
        html.Append("</tr>\n</thead>\n<tbody>\n");
        foreach (var row in rows.Skip(1))
        {
            html.Append("<tr>");
            for (int c = 0; c < row.Length; c++) html.Append($"<td{Class(c)}>{Escape(row[c])}</td>");
            html.Append("</tr>\n");
        }
        html.Append("</tbody>\n</table>\n</div>\n");
    }

    private static void Notes(StringBuilder html, IEnumerable<string> notes)
    {
        var items = notes.ToList();
        if (items.Count == 0) return;
        html.Append("<ul class=\"notes\">\n");
        foreach (string n in items) html.Append($"<li>{Escape(n)}</li>\n");
        html.Append("</ul>\n");
    }
}
