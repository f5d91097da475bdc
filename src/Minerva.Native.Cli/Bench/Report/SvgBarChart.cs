// Grouped vertical bar chart as SVG text: per panel one group of bars per category, one bar per series, value above each
// bar; linear y axis from 0 to a multiple of a 1-2-2.5-5 step (about 5 ticks); text widths estimated from DejaVu Sans metrics.
using System.Globalization;
using System.Text;
using static Minerva.Native.Cli.Bench.Report.Markup;

namespace Minerva.Native.Cli.Bench.Report;

/// <summary>One bar colour of the legend (a CSS colour).</summary>
public sealed record BarSeries(string Name, string Color);

/// <summary>One plot: <see cref="Values"/>[group, series], NaN (or infinite) where there is no bar.</summary>
public sealed record BarPanel(string Title, string YLabel, IReadOnlyList<string[]> GroupLabels, double[,] Values);

public static class SvgBarChart
{
    /// <summary>Tableau 10: distinct in print and for the common colour-vision deficiencies.</summary>
    public static readonly string[] Palette =
        ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

    public const double PlotHeight = 260;
    private const double Margin = 20, TitleSize = 18, SubtitleSize = 12, PanelTitleSize = 14, TickSize = 11, LabelSize = 12, ValueSize = 11;
    private const double BarGap = 2, MaxBarWidth = 44, GroupPad = 28, LegendSwatch = 12, PanelGap = 28;
    private const string Font = "'DejaVu Sans', 'Segoe UI', Helvetica, Arial, sans-serif";

    public static string Render(string title, string subtitle, IReadOnlyList<BarSeries> series, IReadOnlyList<BarPanel> panels)
    {
        if (panels.Count == 0) throw new ArgumentException("no panels", nameof(panels));
        var scales = panels.Select(p => NiceScale(Max(p.Values))).ToList();

        double valueW = panels.SelectMany(p => Finite(p.Values)).Select(v => TextWidth(FormatValue(v), ValueSize)).DefaultIfEmpty(0).Max();
        double barW = Math.Max(20, Math.Ceiling(valueW) + 4);
        double labelW = panels.SelectMany(p => p.GroupLabels).SelectMany(l => l).Select(s => TextWidth(s, LabelSize)).DefaultIfEmpty(0).Max();
        double groupW = Math.Max(series.Count * (barW + BarGap) - BarGap + GroupPad, Math.Ceiling(labelW) + 16);
        double tickW = scales.SelectMany(s => Ticks(s)).Select(t => TextWidth(FormatTick(t), TickSize)).Max();
        double left = Margin + LabelSize + 14 + Math.Ceiling(tickW) + 8;
        int groups = Math.Max(panels.Max(p => p.GroupLabels.Count), 1);
        double panelTitleW = panels.Max(p => TextWidth(p.Title, PanelTitleSize, bold: true));
        double width = Math.Ceiling(new[]
        {
            left + Math.Max(groups * groupW, panelTitleW) + Margin, 2 * Margin + TextWidth(title, TitleSize, bold: true),
            2 * Margin + TextWidth(subtitle, SubtitleSize), 480,
        }.Max());
        groupW = (width - left - Margin) / groups;
        barW = Math.Max(barW, Math.Min(MaxBarWidth, (groupW - GroupPad + BarGap) / Math.Max(series.Count, 1) - BarGap));

        var body = new StringBuilder();
        double y = Margin + TitleSize;
        body.Append($"""<text x="{Num(Margin)}" y="{Num(y)}" font-size="{Num(TitleSize)}" font-weight="bold" fill="#222">{Escape(title)}</text>""").Append('\n');
        if (subtitle.Length > 0)
        {
            y += SubtitleSize + 8;
            body.Append($"""<text x="{Num(Margin)}" y="{Num(y)}" font-size="{Num(SubtitleSize)}" fill="#555">{Escape(subtitle)}</text>""").Append('\n');
        }
        y = Legend(body, series, y + 14, width);

        int labelLines = panels.SelectMany(p => p.GroupLabels).Select(l => l.Length).DefaultIfEmpty(0).Max();
        for (int p = 0; p < panels.Count; p++)
            y = Panel(body, panels[p], scales[p], series, y + PanelGap, left, groupW, barW, labelLines);

        double height = Math.Ceiling(y + Margin);
        return $"""
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {Num(width)} {Num(height)}" width="{Num(width)}" height="{Num(height)}" font-family="{Font}" role="img">
            <title>{Escape(title)}</title>
            <rect class="background" x="0" y="0" width="{Num(width)}" height="{Num(height)}" fill="#ffffff"/>
            {body}</svg>

            """;
    }

    /// <summary>Swatch and name per series, wrapped into rows; returns the y under the last row.</summary>
    private static double Legend(StringBuilder svg, IReadOnlyList<BarSeries> series, double top, double width)
    {
        double x = Margin, rowY = top;
        svg.Append("""<g class="legend" font-size="12" fill="#222">""").Append('\n');
        foreach (var s in series)
        {
            double itemW = LegendSwatch + 6 + TextWidth(s.Name, LabelSize) + 20;
            if (x > Margin && x + itemW > width - Margin) { x = Margin; rowY += 20; }
            svg.Append($"""<rect class="swatch" x="{Num(x)}" y="{Num(rowY)}" width="{LegendSwatch}" height="{LegendSwatch}" fill="{Escape(s.Color)}"/>""");
            svg.Append($"""<text x="{Num(x + LegendSwatch + 6)}" y="{Num(rowY + 10.5)}">{Escape(s.Name)}</text>""").Append('\n');
            x += itemW;
        }
        svg.Append("</g>\n");
        return rowY + LegendSwatch;
    }

    /// <summary>Title, grid and ticks, bars with their values, group labels; returns the y under the labels.</summary>
    private static double Panel(StringBuilder svg, BarPanel panel, (double Step, double Top) scale, IReadOnlyList<BarSeries> series,
        double top, double left, double groupW, double barW, int labelLines)
    {
        int groups = panel.GroupLabels.Count;
        double plotTop = top + PanelTitleSize + 10 + ValueSize + 6, plotBottom = plotTop + PlotHeight, right = left + groups * groupW;
        svg.Append("""<g class="panel">""").Append('\n');
        svg.Append($"""<text x="{Num(left)}" y="{Num(top + PanelTitleSize)}" font-size="{Num(PanelTitleSize)}" font-weight="bold" fill="#222">{Escape(panel.Title)}</text>""").Append('\n');

        svg.Append($"""<g class="axis" font-size="{Num(TickSize)}" fill="#555" text-anchor="end">""").Append('\n');
        foreach (double t in Ticks(scale))
        {
            double ty = plotBottom - t / scale.Top * PlotHeight;
            if (t > 0) svg.Append($"""<line x1="{Num(left)}" y1="{Num(ty)}" x2="{Num(right)}" y2="{Num(ty)}" stroke="#e3e3e3" stroke-width="1"/>""");
            svg.Append($"""<text x="{Num(left - 6)}" y="{Num(ty + 4)}">{FormatTick(t)}</text>""").Append('\n');
        }
        double midY = (plotTop + plotBottom) / 2, yLabelX = Margin + LabelSize;
        svg.Append($"""<text x="{Num(yLabelX)}" y="{Num(midY)}" font-size="{Num(LabelSize)}" fill="#222" text-anchor="middle" transform="rotate(-90 {Num(yLabelX)} {Num(midY)})">{Escape(panel.YLabel)}</text>""").Append('\n');
        svg.Append("</g>\n");

        for (int g = 0; g < groups; g++)
        {
            double gx = left + g * groupW, x0 = gx + (groupW - (series.Count * (barW + BarGap) - BarGap)) / 2;
            for (int s = 0; s < series.Count; s++)
            {
                double v = panel.Values[g, s];
                if (!double.IsFinite(v)) continue;
                double h = Math.Max(v, 0) / scale.Top * PlotHeight, bx = x0 + s * (barW + BarGap);
                string tip = $"{string.Join(" ", panel.GroupLabels[g])}, {series[s].Name}: {v.ToString("#,0.##", CultureInfo.InvariantCulture)} {panel.YLabel}";
                svg.Append($"""<rect class="bar" x="{Num(bx)}" y="{Num(plotBottom - h)}" width="{Num(barW)}" height="{Num(h)}" fill="{Escape(series[s].Color)}"><title>{Escape(tip)}</title></rect>""");
                svg.Append($"""<text class="value" x="{Num(bx + barW / 2)}" y="{Num(plotBottom - h - 4)}" font-size="{Num(ValueSize)}" fill="#333" text-anchor="middle">{FormatValue(v)}</text>""").Append('\n');
            }
            string[] lines = panel.GroupLabels[g];
            for (int l = 0; l < lines.Length; l++)
                svg.Append($"""<text class="group" x="{Num(gx + groupW / 2)}" y="{Num(plotBottom + 18 + l * 16)}" font-size="{Num(LabelSize)}" fill="{(l == 0 ? "#222" : "#666")}" text-anchor="middle">{Escape(lines[l])}</text>""").Append('\n');
        }
        svg.Append($"""<line x1="{Num(left)}" y1="{Num(plotTop)}" x2="{Num(left)}" y2="{Num(plotBottom)}" stroke="#444" stroke-width="1"/>""");
        svg.Append($"""<line x1="{Num(left)}" y1="{Num(plotBottom)}" x2="{Num(right)}" y2="{Num(plotBottom)}" stroke="#444" stroke-width="1"/>""").Append('\n');
        svg.Append("</g>\n");
        return plotBottom + 6 + labelLines * 16;
    }

    /// <summary>The tick step (1, 2, 2.5 or 5 × 10^k) giving at most <paramref name="ticks"/> intervals up to <paramref name="max"/>, and the axis top (a multiple of it).</summary>
    public static (double Step, double Top) NiceScale(double max, int ticks = 5)
    {
        if (!(max > 0) || !double.IsFinite(max)) max = 1;
        double raw = max / ticks, p = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = 10 * p;
        foreach (double m in (ReadOnlySpan<double>)[1, 2, 2.5, 5])
            if (m * p >= raw * (1 - 1e-12)) { step = m * p; break; }
        return (step, Math.Ceiling(max / step - 1e-9) * step);
    }

    private static IEnumerable<double> Ticks((double Step, double Top) scale)
    {
        int n = (int)Math.Round(scale.Top / scale.Step);
        for (int i = 0; i <= n; i++) yield return i * scale.Step;
    }

    /// <summary>Tick text: 0, 2.5, 0.25, 1,000.</summary>
    public static string FormatTick(double v) => v.ToString("#,0.####", CultureInfo.InvariantCulture);

    /// <summary>Short bar text: 0.25, 12.5, 340, 1,064, 12.5k, 2.5M.</summary>
    public static string FormatValue(double v) =>
        v >= 1e6 ? Trim(v / 1e6) + "M"
        : v >= 1e4 ? Trim(v / 1e3) + "k"
        : v >= 100 || v == Math.Floor(v) ? v.ToString("#,0", CultureInfo.InvariantCulture)
        : v >= 10 ? v.ToString("F1", CultureInfo.InvariantCulture)
        : v.ToString("F2", CultureInfo.InvariantCulture);

    private static string Trim(double v) => v.ToString(v >= 100 ? "F0" : "0.#", CultureInfo.InvariantCulture);

    /// <summary>An upper bound of the rendered width in DejaVu Sans (wider than Helvetica/Arial, so labels fit either).</summary>
    public static double TextWidth(string s, double size, bool bold = false)
    {
        double em = 0;
        foreach (char c in s)
            em += c switch
            {
                >= '0' and <= '9' => 0.64,
                ' ' or '.' or ',' or ':' or ';' or '\'' or '!' or '|' => 0.34,
                'i' or 'j' or 'l' => 0.28,
                'I' or 'f' or 't' or 'r' or '(' or ')' or '[' or ']' or '-' or '/' => 0.42,
                'm' or 'M' or 'w' or 'W' or '@' or '%' => 1.0,
                >= 'A' and <= 'Z' => 0.78,
                >= 'a' and <= 'z' => 0.63,
                _ => 0.8,
            };
        return em * size * (bold ? 1.1 : 1);
    }

    private static IEnumerable<double> Finite(double[,] values)
    {
        foreach (double v in values) if (double.IsFinite(v)) yield return v;
    }

    private static double Max(double[,] values) => Finite(values).DefaultIfEmpty(0).Max();
}
