// The SVG chart parsed back as XML: one bar per measured (group, series), heights proportional to the medians fed in, labels escaped.
using System.Globalization;
using System.Xml.Linq;
using Minerva.Native.Cli.Bench;
using Minerva.Native.Cli.Bench.Report;

namespace Minerva.Native.Tests.Bench;

public class ChartTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    /// <summary>Text that breaks markup unless escaped, with a character XML 1.0 forbids.</summary>
    internal const string Hostile = "Q<&>\"'\u0001";

    internal static BenchMachine Machine => new()
    {
        Engine = "minerva-native", EngineVersion = "0.1.0", GitCommit = new string('a', 40) + "-dirty", CpuModel = "Xeon <&> \"fast\"",
        Cores = 2, SimdWidthBits = 512, Os = "Linux", Runtime = ".NET 10",
    };

    /// <summary>
    /// GGUF (hostile type) on cpu and cuda with short-chat and concurrent x1/x4, safetensors on cpu with short-chat only:
    /// 3 groups x 3 series, 4 of the 9 cells empty.
    /// </summary>
    internal static List<BenchRecord> Records()
    {
        var records = new List<BenchRecord>();
        void Add(string format, string type, string device, string scenario, int streams, params double[] gens)
        {
            foreach (double gen in gens)
            {
                var r = BenchPartsTests.Rec(scenario, format, type, format == "gguf" ? "m.gguf" : "m-bf16", device, gen);
                r.Concurrency = streams;
                if (scenario == "concurrent") r.AggregateGenTokensPerSec = gen * streams * 0.9;
                records.Add(r);
            }
        }
        Add("gguf", Hostile, "cpu", "short-chat", 1, 19.4, 18.0, 21.5);
        Add("gguf", Hostile, "cpu", "concurrent", 1, 17.0);
        Add("gguf", Hostile, "cpu", "concurrent", 4, 6.1, 5.9);
        Add("gguf", Hostile, "cuda", "short-chat", 1, 372.8);
        Add("safetensors", "BF16", "cpu", "short-chat", 1, 8.5, 8.4);
        return records;
    }

    [Test]
    public void EveryMeasuredCellIsOneBarWithItsHeightProportionalToTheMedian()
    {
        var records = Records();
        string text = BenchChart.Render(records, Machine);
        var svg = XDocument.Parse(text).Root!;
        Assert.That(svg.Name, Is.EqualTo(Svg + "svg"));
        string[] viewBox = svg.Attribute("viewBox")!.Value.Split(' ');
        Assert.That(viewBox[..2], Is.EqualTo(new[] { "0", "0" }));
        Assert.That((viewBox[2], viewBox[3]), Is.EqualTo((svg.Attribute("width")!.Value, svg.Attribute("height")!.Value)));

        var groups = new[] { ($"GGUF {Hostile}", "cpu"), ($"GGUF {Hostile}", "cuda"), ("SafeTensors BF16", "cpu") };
        string[] series = ["short-chat", "concurrent x1", "concurrent x4"];
        double? Median(int g, int s, Func<BenchRecord, double> metric)
        {
            var runs = records.Where(r => (BenchSummary.LabelOf(r), r.Device) == groups[g] && BenchChart.SeriesOf(r) == series[s]).Select(metric).ToList();
            return runs.Count == 0 ? null : BenchRunner.Median(runs);
        }
        var metrics = new Func<BenchRecord, double>[] { r => r.AggregateGenTokensPerSec ?? r.GenTokensPerSec, r => r.PromptTokensPerSec };

        var panels = svg.Elements(Svg + "g").Where(e => Class(e) == "panel").ToList();
        Assert.That(panels, Has.Count.EqualTo(2), "generation and prompt");
        for (int p = 0; p < 2; p++)
        {
            // Bars come group by group, series by series, skipping empty cells.
            var expected = (from g in Enumerable.Range(0, 3) from s in Enumerable.Range(0, 3) select Median(g, s, metrics[p]))
                .Where(v => v is not null).Select(v => v!.Value).ToList();
            var bars = panels[p].Elements(Svg + "rect").Where(e => Class(e) == "bar").ToList();
            Assert.That(bars, Has.Count.EqualTo(5), "2 + 2 + 1 measured cells; 4 empty ones have no bar");
            double[] heights = [.. bars.Select(b => Number(b, "height"))];
            double perUnit = heights.Max() / expected.Max();
            for (int i = 0; i < bars.Count; i++)
            {
                Assert.That(heights[i], Is.EqualTo(expected[i] * perUnit).Within(0.02), $"panel {p} bar {i}");
                Assert.That(Number(bars[i], "y") + heights[i], Is.EqualTo(Number(bars[0], "y") + heights[0]).Within(0.01), "one baseline");
            }
            Assert.That(heights.Max(), Is.LessThanOrEqualTo(SvgBarChart.PlotHeight + 0.01).And.GreaterThan(SvgBarChart.PlotHeight / 2), "axis top is a nice number above the tallest bar");
            var values = panels[p].Elements(Svg + "text").Where(e => Class(e) == "value").Select(e => e.Value);
            Assert.That(values, Is.EqualTo(expected.Select(SvgBarChart.FormatValue)), "value printed above each bar");
        }
        Assert.That(svg.Descendants(Svg + "rect").Count(e => Class(e) == "swatch"), Is.EqualTo(3), "one legend entry per series");

        var texts = svg.Descendants(Svg + "text").Select(e => e.Value).ToList();
        Assert.That(texts, Does.Contain("GGUF Q<&>\"'"), "the type survives the round trip, the control character is dropped");
        Assert.That(texts, Does.Contain("SafeTensors BF16").And.Contain("cuda").And.Contain("concurrent x4").And.Contain("generated tokens/s"));
        Assert.That(texts, Does.Contain("minerva-native 0.1.0 on Xeon <&> \"fast\""));
        Assert.That(texts.Single(t => t.StartsWith("2 cores", StringComparison.Ordinal)), Does.Contain("commit aaaaaaaaaa-dirty"));
        Assert.That(text, Does.Contain("GGUF Q&lt;&amp;&gt;&quot;&#39;").And.Not.Contain("Q<&>"));
    }

    [Test]
    public void EscapeCoversTheFiveSpecialCharactersAndDropsWhatXmlForbids()
    {
        Assert.That(Markup.Escape("a<b>&\"c\"'d'"), Is.EqualTo("a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;"));
        Assert.That(Markup.Escape("x\u0000y\u001Fz\tw\n\uFFFF"), Is.EqualTo("xyz\tw\n"));
        Assert.That(Markup.Escape("é 😀 \uD800!"), Is.EqualTo("é 😀 !"), "pairs kept, a lone surrogate dropped");
    }

    [TestCase(0.0, 0.2, 1.0)]
    [TestCase(1.0, 0.2, 1.0)]
    [TestCase(11.0, 2.5, 12.5)]
    [TestCase(19.4, 5.0, 20.0)]
    [TestCase(48.4, 10.0, 50.0)]
    [TestCase(50.0, 10.0, 50.0)]
    [TestCase(0.031, 0.01, 0.04)]
    [TestCase(1899.5, 500.0, 2000.0)]
    [TestCase(3996.7, 1000.0, 4000.0)]
    public void AxisStepIsA125MultipleAndTheTopTheNextStepAboveTheMaximum(double max, double step, double top)
    {
        var scale = SvgBarChart.NiceScale(max);
        Assert.That(scale.Step, Is.EqualTo(step).Within(1e-9));
        Assert.That(scale.Top, Is.EqualTo(top).Within(1e-9));
    }

    [TestCase(0.25, "0.25")]
    [TestCase(12.5, "12.5")]
    [TestCase(30.0, "30")]
    [TestCase(340.4, "340")]
    [TestCase(1063.8, "1,064")]
    [TestCase(12500.0, "12.5k")]
    [TestCase(250000.0, "250k")]
    [TestCase(2500000.0, "2.5M")]
    public void ValuesPrintShort(double v, string text) => Assert.That(SvgBarChart.FormatValue(v), Is.EqualTo(text));

    [TestCase(2.5, "2.5")]
    [TestCase(0.04, "0.04")]
    [TestCase(2000.0, "2,000")]
    public void TicksPrintPlain(double v, string text) => Assert.That(SvgBarChart.FormatTick(v), Is.EqualTo(text));

    internal static string? Class(XElement e) => e.Attribute("class")?.Value;

    private static double Number(XElement e, string attribute) => double.Parse(e.Attribute(attribute)!.Value, CultureInfo.InvariantCulture);
}
