// The HTML report parsed as XML (always) and rendered by headless Chromium (where installed): the console's tables, the chart, escaping, layout.
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using Minerva.Native.Cli.Bench;

namespace Minerva.Native.Tests.Bench;

public class BenchHtmlTests
{
    private static readonly XNamespace X = "http://www.w3.org/1999/xhtml", Svg = "http://www.w3.org/2000/svg";
    private const string Failure = "cuda m-bf16 <short-chat>: load failed & \"why\"";

    private static (string Html, BenchReport Report, List<CompareRow> Compared) Sample(bool chart = true, bool compare = true)
    {
        var records = ChartTests.Records();
        var report = new BenchReport(ChartTests.Machine, 3, 1, 2, records, [Failure]);
        var peer = new List<BenchRecord> { BenchPartsTests.Rec("short-chat", "gguf", ChartTests.Hostile, "m.gguf", "cpu", 10) };
        var concurrent = BenchPartsTests.Rec("concurrent", "gguf", ChartTests.Hostile, "m.gguf", "cpu", 5);
        (concurrent.Concurrency, concurrent.AggregateGenTokensPerSec) = (4, 12);
        peer.Add(concurrent);
        var rows = BenchCompare.Match(records, peer, out int unmatched);
        string html = BenchHtml.Render(report, chart ? BenchChart.Render(records, report.Machine) : null,
            compare ? new BenchComparison("peer <1>.csv", rows, unmatched) : null, ["r.csv", "r.json", "r.svg"]);
        return (html, report, rows);
    }

    private static XDocument Parse(string html)
    {
        using var reader = XmlReader.Create(new StringReader(html), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore });
        return XDocument.Load(reader);
    }

    private static List<string[]> Cells(XElement table) =>
        [.. table.Descendants(X + "tr").Select(tr => tr.Elements().Select(c => c.Value).ToArray())];

    private static XElement Section(XDocument doc, string id) => doc.Descendants(X + "section").Single(s => s.Attribute("id")?.Value == id);

    [Test]
    public void ReportIsWellFormedAndHoldsTheConsoleTablesTheChartTheComparisonAndTheFailures()
    {
        var (html, report, compared) = Sample();
        var doc = Parse(html);
        Assert.That(doc.Root!.Name, Is.EqualTo(X + "html"));
        Assert.That(html, Does.StartWith("<!DOCTYPE html>"));
        Assert.That(doc.Descendants(X + "title").First().Value, Does.Contain("Xeon <&> \"fast\""));
        Assert.That(doc.Descendants(X + "style").Single().Value, Does.Contain("table"), "inline CSS");

        // Self-contained: no scripts, no external style sheets or images, links only to the sibling result files.
        Assert.That(doc.Descendants().Where(e => e.Name.LocalName is "script" or "link" or "img" or "iframe" or "object"), Is.Empty);
        Assert.That(doc.Descendants().Attributes().Where(a => a.Name.LocalName is "src" or "srcset"), Is.Empty);
        Assert.That(doc.Descendants(X + "a").Select(a => a.Attribute("href")!.Value), Is.EqualTo(new[] { "r.csv", "r.json", "r.svg" }));

        var machine = Cells(Section(doc, "machine").Descendants(X + "table").Single()).ToDictionary(r => r[0], r => r[1]);
        Assert.That(machine["CPU"], Is.EqualTo(report.Machine.CpuModel));
        Assert.That(machine["Commit"], Is.EqualTo(report.Machine.GitCommit));
        Assert.That((machine["Engine"], machine["Cores"], machine["SIMD"]), Is.EqualTo(("minerva-native 0.1.0", "2", "512 bit")));

        var svg = Section(doc, "chart").Descendants(Svg + "svg").Single();
        Assert.That(svg.Descendants(Svg + "rect").Count(e => ChartTests.Class(e) == "bar"), Is.EqualTo(2 * 5));

        // The summary is the console's, cell for cell (the hostile type without its control character).
        static string[] Clean(string[] row) => [.. row.Select(c => c.Replace("\u0001", ""))];
        var tables = BenchSummary.Tables(report.Records).ToList();
        var results = Section(doc, "results");
        Assert.That(results.Elements(X + "h3").Select(h => h.Value), Is.EqualTo(tables.Select(t => t.Caption)));
        var htmlTables = results.Descendants(X + "table").ToList();
        Assert.That(htmlTables, Has.Count.EqualTo(tables.Count).And.Count.EqualTo(2), "short-chat and concurrent");
        for (int i = 0; i < tables.Count; i++)
        {
            Assert.That(Cells(htmlTables[i]), Is.EqualTo(tables[i].Rows.Select(Clean)), tables[i].Caption);
            Assert.That(htmlTables[i].Parent!.ElementsAfterSelf(X + "ul").First().Elements(X + "li").Select(li => li.Value), Is.EqualTo(tables[i].Notes.Select(n => n.Replace("\u0001", ""))));
        }
        Assert.That(Cells(htmlTables[0])[1][0], Is.EqualTo("GGUF Q<&>\"'"));
        var gguf = Cells(htmlTables[0]).Single(r => r[0].StartsWith("GGUF", StringComparison.Ordinal) && r[1] == "cpu");
        Assert.That(gguf[5], Is.EqualTo("19.40 (18.00..21.50)"), "median and spread of the three runs");
        Assert.That(htmlTables[0].Descendants(X + "td").Where(td => td.Value == "19.40 (18.00..21.50)").Single().Attribute("class")?.Value, Is.EqualTo("num"));

        var compare = Section(doc, "compare");
        Assert.That(compare.Element(X + "p")!.Value, Does.Contain("peer <1>.csv"));
        var expectedCompare = BenchCompare.Tables(compared);
        var compareTables = compare.Descendants(X + "table").ToList();
        Assert.That(compareTables, Has.Count.EqualTo(2), "single-session and concurrent comparison");
        for (int i = 0; i < 2; i++) Assert.That(Cells(compareTables[i]), Is.EqualTo(expectedCompare[i].Select(Clean)));
        Assert.That(Cells(compareTables[0])[1][5], Is.EqualTo("1.94x"), "19.4 / 10");

        Assert.That(Section(doc, "failures").Descendants(X + "li").Single().Value, Is.EqualTo(Failure));
        Assert.That(html, Does.Not.Contain("<short-chat>").And.Not.Contain("peer <1>").And.Not.Contain("Q<&>"));
    }

    [Test]
    public void WithoutChartOrComparisonThoseSectionsAreLeftOut()
    {
        var doc = Parse(Sample(chart: false, compare: false).Html);
        var ids = doc.Descendants(X + "section").Select(s => s.Attribute("id")!.Value);
        Assert.That(ids, Is.EqualTo(new[] { "machine", "results", "failures" }));
        Assert.That(doc.Descendants(Svg + "svg"), Is.Empty);
    }

    /// <summary>
    /// Chromium parses the page into the same DOM (bars, tables, escaped text as text), lays the chart out without text
    /// overflowing the drawing or overlapping other text, and renders a screenshot. Ignored where no chromium is installed.
    /// </summary>
    [Test]
    public void ChromiumRendersTheReportAsWritten()
    {
        if (Chromium.Path is null) Assert.Ignore("no chromium on PATH (./build.sh test installs it where apt is usable; or set MINERVA_CHROMIUM)");
        string dir = TestPaths.NewScratch("bench-html");
        try
        {
            string html = Sample().Html;
            string page = Path.Combine(dir, "report.html");
            File.WriteAllText(page, html);
            string dom = Chromium.Run("--dump-dom", new Uri(page).AbsoluteUri);
            Assert.That(Regex.Count(dom, "<rect class=\"bar\""), Is.EqualTo(2 * 5));
            Assert.That(Regex.Count(dom, "<table"), Is.EqualTo(Regex.Count(html, "<table")).And.EqualTo(1 + 2 + 2));
            Assert.That(Regex.Count(dom, "<tr>"), Is.EqualTo(Regex.Count(html, "<tr>")));
            Assert.That(dom, Does.Contain("<td>Xeon &lt;&amp;&gt; \"fast\"</td>"), "markup characters stayed text");
            Assert.That(dom, Does.Contain("<li>cuda m-bf16 &lt;short-chat&gt;: load failed &amp; \"why\"</li>"));

            // The same page with a probe that measures the laid-out chart in the drawing's own units.
            string probed = Path.Combine(dir, "probed.html");
            File.WriteAllText(probed, html.Replace("</body>", LayoutProbe + "</body>"));
            string probeDom = Chromium.Run("--window-size=1400,1000", "--dump-dom", new Uri(probed).AbsoluteUri);
            var match = Regex.Match(probeDom, "<pre id=\"layout\">(.*?)</pre>", RegexOptions.Singleline);
            Assert.That(match.Success, probeDom);
            using var layout = JsonDocument.Parse(WebUtility.HtmlDecode(match.Groups[1].Value));
            Assert.That(layout.RootElement.GetProperty("bars").GetInt32(), Is.EqualTo(2 * 5));
            Assert.That(layout.RootElement.GetProperty("texts").GetInt32(), Is.GreaterThan(30));
            Assert.That(layout.RootElement.GetProperty("problems").EnumerateArray().Select(p => p.GetString()), Is.Empty);

            string png = Path.Combine(dir, "report.png");
            Chromium.Run("--window-size=1400,2400", $"--screenshot={png}", new Uri(page).AbsoluteUri);
            byte[] bytes = File.ReadAllBytes(png);
            Assert.That(bytes[1..4], Is.EqualTo("PNG"u8.ToArray()));
            Assert.That(bytes, Has.Length.GreaterThan(20_000), "a page with a chart and tables, not a blank one");
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>Every chart text inside the viewBox and clear of every other text; bars inside the viewBox.</summary>
    private const string LayoutProbe = """
        <script>
        (function () {
          var problems = [], texts = 0, bars = 0;
          document.querySelectorAll('figure svg').forEach(function (svg) {
            var vb = svg.viewBox.baseVal, s = svg.getBoundingClientRect(), k = vb.width / s.width;
            function box(e) { var r = e.getBoundingClientRect(); return { l: (r.left - s.left) * k, t: (r.top - s.top) * k, r: (r.right - s.left) * k, b: (r.bottom - s.top) * k }; }
            function inside(b) { return b.l >= -0.5 && b.t >= -0.5 && b.r <= vb.width + 0.5 && b.b <= vb.height + 0.5; }
            var boxes = [];
            svg.querySelectorAll('text').forEach(function (t) {
              var b = box(t); texts++;
              if (!inside(b)) problems.push('outside: ' + t.textContent);
              boxes.push({ b: b, name: t.textContent });
            });
            svg.querySelectorAll('rect.bar').forEach(function (r) { bars++; if (!inside(box(r))) problems.push('bar outside'); });
            for (var i = 0; i < boxes.length; i++)
              for (var j = i + 1; j < boxes.length; j++) {
                var a = boxes[i].b, c = boxes[j].b;
                if (a.l < c.r - 0.5 && c.l < a.r - 0.5 && a.t < c.b - 0.5 && c.t < a.b - 0.5) problems.push('overlap: ' + boxes[i].name + ' / ' + boxes[j].name);
              }
          });
          var pre = document.createElement('pre');
          pre.id = 'layout';
          pre.textContent = JSON.stringify({ bars: bars, texts: texts, problems: problems });
          document.body.appendChild(pre);
        })();
        </script>
        """;
}
