// Grouped vertical bar chart: per panel, one group of bars per category, one bar per series; linear y axis from 0 to a 1-2-5 "nice" maximum.
using System.Globalization;

namespace Minerva.Native.Cli.Bench.Chart;

/// <summary>One bar colour of the legend.</summary>
public sealed record BarSeries(string Name, Rgb Color);

/// <summary>One plot: <see cref="Values"/>[group, series], NaN where there is no bar.</summary>
public sealed record BarPanel(string Title, string YLabel, IReadOnlyList<string[]> GroupLabels, double[,] Values);

/// <summary>Lays out and rasterises panels stacked vertically under one title and legend.</summary>
public static class BarChart
{
    public static readonly Rgb[] Palette =
    [
        new(31, 119, 180), new(255, 127, 14), new(44, 160, 44), new(214, 39, 40),
        new(148, 103, 189), new(140, 86, 75), new(227, 119, 194), new(127, 127, 127),
    ];

    private const int Left = 78, Right = 20, TitleH = 34, LegendRow = 16, PanelTop = 26, PlotH = 240, BarW = 22, GroupGap = 18;

    public static Canvas Render(string title, IReadOnlyList<BarSeries> series, IReadOnlyList<BarPanel> panels)
    {
        if (panels.Count == 0) throw new ArgumentException("no panels", nameof(panels));
        int groups = panels[0].GroupLabels.Count;
        int labelLines = panels.Max(p => p.GroupLabels.Count == 0 ? 0 : p.GroupLabels.Max(l => l.Length));
        int widestLabel = panels.SelectMany(p => p.GroupLabels).SelectMany(l => l).Select(s => Font5x7.MeasureWidth(s, 1)).DefaultIfEmpty(0).Max();
        int groupW = Math.Max(series.Count * BarW + GroupGap, widestLabel + 10);
        int legendW = series.Sum(s => Font5x7.MeasureWidth(s.Name, 1) + 30);
        int width = Math.Max(Left + groups * groupW + Right, Math.Max(Font5x7.MeasureWidth(title, 2), legendW) + Left);
        int bottom = 12 + labelLines * 10;
        int panelH = PanelTop + PlotH + bottom;
        int height = TitleH + LegendRow + 8 + panels.Count * panelH;

        var canvas = new Canvas(width, height, Rgb.White);
        canvas.DrawText((width - Font5x7.MeasureWidth(title, 2)) / 2, 8, title, Rgb.Black, 2);
        int lx = Left;
        foreach (var s in series)
        {
            canvas.FillRect(lx, TitleH, 12, 9, s.Color);
            canvas.DrawText(lx + 16, TitleH + 1, s.Name, Rgb.Black);
            lx += Font5x7.MeasureWidth(s.Name, 1) + 30;
        }

        for (int p = 0; p < panels.Count; p++)
            DrawPanel(canvas, panels[p], series, TitleH + LegendRow + 8 + p * panelH, groupW);
        return canvas;
    }

    private static void DrawPanel(Canvas c, BarPanel panel, IReadOnlyList<BarSeries> series, int top, int groupW)
    {
        int groups = panel.GroupLabels.Count;
        int plotTop = top + PanelTop, plotBottom = plotTop + PlotH, plotRight = Left + groups * groupW;
        c.DrawText(Left, top + 8, panel.Title, Rgb.Black, 1);

        double max = 0;
        foreach (double v in panel.Values) if (double.IsFinite(v)) max = Math.Max(max, v);
        double niceMax = NiceCeiling(max), tick = niceMax / 5;
        for (int t = 0; t <= 5; t++)
        {
            int y = plotBottom - (int)Math.Round(t * PlotH / 5.0);
            if (t > 0) c.HLine(Left + 1, plotRight, y, Rgb.Grey);
            string label = FormatValue(t * tick);
            c.DrawText(Left - 6 - Font5x7.MeasureWidth(label, 1), y - 3, label, Rgb.DarkGrey);
        }
        c.DrawTextUp(8, plotBottom - (PlotH - Font5x7.MeasureWidth(panel.YLabel, 1)) / 2, panel.YLabel, Rgb.Black);

        for (int g = 0; g < groups; g++)
        {
            int gx = Left + g * groupW;
            int barsW = series.Count * BarW;
            int x0 = gx + (groupW - barsW) / 2;
            for (int s = 0; s < series.Count; s++)
            {
                double v = panel.Values[g, s];
                if (!double.IsFinite(v) || niceMax <= 0) continue;
                int h = (int)Math.Round(v / niceMax * PlotH);
                int bx = x0 + s * BarW;
                c.FillRect(bx + 1, plotBottom - h, BarW - 2, h, series[s].Color);
                string text = FormatValue(v);
                int tw = Font5x7.MeasureWidth(text, 1);
                if (tw <= BarW + 2) c.DrawText(bx + (BarW - tw) / 2, plotBottom - h - 9, text, Rgb.Black);
            }
            string[] lines = panel.GroupLabels[g];
            for (int l = 0; l < lines.Length; l++)
                c.DrawText(gx + (groupW - Font5x7.MeasureWidth(lines[l], 1)) / 2, plotBottom + 6 + l * 10, lines[l], Rgb.Black);
        }
        c.VLine(Left, plotTop, plotBottom, Rgb.Black);
        c.HLine(Left, plotRight, plotBottom, Rgb.Black);
    }

    /// <summary>The smallest of 1, 2, 2.5, 5 × 10^k at or above <paramref name="v"/> (1 for nothing to plot).</summary>
    public static double NiceCeiling(double v)
    {
        if (!(v > 0)) return 1;
        double p = Math.Pow(10, Math.Floor(Math.Log10(v)));
        foreach (double m in (ReadOnlySpan<double>)[1, 2, 2.5, 5, 10])
            if (m * p >= v * (1 - 1e-12)) return m * p;
        return 10 * p;
    }

    /// <summary>Short tick/bar text: 0.25, 12.5, 340, 12.5k, 2.5M.</summary>
    public static string FormatValue(double v) =>
        v >= 1e6 ? Trim(v / 1e6) + "M"
        : v >= 1e4 ? Trim(v / 1e3) + "k"
        : v >= 100 || v == Math.Floor(v) ? v.ToString("F0", CultureInfo.InvariantCulture)
        : v >= 10 ? v.ToString("F1", CultureInfo.InvariantCulture)
        : v.ToString("F2", CultureInfo.InvariantCulture);

    private static string Trim(double v) => v.ToString(v >= 100 ? "F0" : "0.#", CultureInfo.InvariantCulture);
}
