// Runs `bench` end to end on the fake engine: matrix size, warm-up exclusion, identical work per run, CSV/JSON/SVG/HTML files, --compare, exit codes.
using System.Globalization;
using Minerva.Native.Cli;
using Minerva.Native.Cli.Bench;

namespace Minerva.Native.Tests.Bench;

public class BenchPipelineTests
{
    /// <summary>The CSV header, written out by hand: the peer tool and earlier result files depend on it.</summary>
    private static readonly string[] FirstColumns =
    [
        "Timestamp", "Engine", "EngineVersion", "GitCommit", "Scenario", "Format", "QuantType", "ModelFile", "Device", "DeviceName",
        "Threads", "Run", "PromptTokens", "GenTokens", "LoadMs", "TtftMs", "PromptTokensPerSec", "GenTokensPerSec", "MedianInterTokenMs",
        "PeakHostMiB", "PeakGpuMiB", "CpuModel", "Cores", "SimdWidthBits", "GpuName", "GpuDriver", "Os", "Runtime",
    ];

    /// <summary>Columns added with the concurrency scenario: after those, and optional when reading.</summary>
    private static readonly string[] ConcurrencyColumns = ["Concurrency", "AggregateGenTokensPerSec", "RowsPerStep"];

    /// <summary>Columns added with the memory read-bandwidth probe: last, and optional when reading.</summary>
    private static readonly string[] CeilingColumns = ["WeightBytesPerToken", "ReadBandwidthGBps", "GenCeilingTokensPerSec", "GenPercentOfCeiling"];

    private static readonly string[] ExpectedColumns = [.. FirstColumns, .. ConcurrencyColumns, .. CeilingColumns];

    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = TestPaths.NewScratch("bench");

    [TearDown]
    public void TearDown()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private (int Exit, string Out, string Log) Bench(FakeBenchEngine engine, params string[] argv)
    {
        var output = new StringWriter();
        var log = new StringWriter();
        int exit = BenchCommand.Run(BenchOptions.Parse(argv), () => engine, output, log, interactive: false);
        return (exit, output.ToString(), log.ToString());
    }

    [Test]
    public void QuickRunWritesEveryColumnWithPlausibleValues()
    {
        var engine = new FakeBenchEngine();
        string csv = Path.Combine(_dir, "out", "quick.csv"), models = Path.Combine(_dir, "models");
        var (exit, output, log) = Bench(engine, "--quick", "--models-dir", models, "--csv", csv, "--json", "--threads", "2");
        Assert.That(exit, Is.EqualTo(0), log + output);

        string[] lines = File.ReadAllLines(csv);
        Assert.That(lines[0].Split(','), Is.EqualTo(ExpectedColumns));
        Assert.That(BenchCsv.Columns, Is.EqualTo(ExpectedColumns));
        var rows = BenchCsv.Read(csv);
        Assert.That(rows, Has.Count.EqualTo(2), "tiny gguf + tiny safetensors, one scenario, one run");
        Assert.That(rows.Select(r => (r.Format, r.QuantType)), Is.EquivalentTo(new[] { ("gguf", "Q8_0"), ("safetensors", "BF16") }));
        foreach (var r in rows)
        {
            Assert.That(DateTime.Parse(r.Timestamp, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind), Is.EqualTo(DateTime.UtcNow).Within(TimeSpan.FromMinutes(10)));
            Assert.That((r.Engine, r.EngineVersion, r.Scenario, r.Device, r.DeviceName, r.Threads, r.Run), Is.EqualTo(("fake", "0.0.1", "quick", "cpu", "Fake CPU", 2, 1)));
            Assert.That((r.PromptTokens, r.GenTokens), Is.EqualTo((16, 16)));
            Assert.That(r.ModelFile, Does.StartWith("synthetic-tiny-"));
            Assert.That(new[] { r.LoadMs, r.TtftMs, r.PromptTokensPerSec, r.GenTokensPerSec, r.MedianInterTokenMs, r.PeakHostMiB }, Has.All.GreaterThan(0).And.All.Matches<double>(double.IsFinite));
            Assert.That(r.PromptTokensPerSec, Is.EqualTo(r.PromptTokens * 1000 / r.TtftMs).Within(1e-6).Percent);
            Assert.That(r.GenTokensPerSec, Is.EqualTo(1000 / r.MedianInterTokenMs).Within(1e-6).Percent);
            Assert.That(r.PeakHostMiB, Is.LessThan(1 << 20));
            Assert.That(r.PeakGpuMiB, Is.Null);
            Assert.That(r.CpuModel, Is.Not.Empty);
            Assert.That((r.Cores, r.SimdWidthBits), Is.EqualTo((Environment.ProcessorCount, 256)));
            Assert.That(r.Os, Is.Not.Empty);
            Assert.That(r.Runtime, Does.Contain(".NET"));
        }

        var json = BenchJson.Read(Path.ChangeExtension(csv, ".json"));
        Assert.That(json.Records, Has.Count.EqualTo(2));
        Assert.That((json.Machine.Engine, json.Runs, json.WarmupRuns, json.Threads), Is.EqualTo(("fake", 1, 0, 2)));
        Assert.That(json.Records[0].TtftMs, Is.EqualTo(rows[0].TtftMs).Within(1e-9));

        var svg = System.Xml.Linq.XDocument.Load(Path.ChangeExtension(csv, ".svg")).Root!;
        Assert.That(svg.Descendants(svg.Name.Namespace + "rect").Count(e => e.Attribute("class")?.Value == "bar"), Is.EqualTo(2 * 2), "2 models x (generation, prompt)");
        string html = File.ReadAllText(Path.ChangeExtension(csv, ".html"));
        Assert.That(html, Does.Contain("<svg ").And.Contain("quick: 16 prompt tokens, 16 generated").And.Contain("href=\"quick.csv\""));
        Assert.That(log, Does.Contain("wrote " + Path.ChangeExtension(csv, ".html")));
        Assert.That(output, Does.Contain("quick: 16 prompt tokens, 16 generated"));
        Assert.That(output, Does.Contain("cpu: GGUF Q8_0"));
        Assert.That(output, Does.Contain("| SafeTensors BF16"));
    }

    [Test]
    public void SyntheticModelsAreWrittenOnceAndReused()
    {
        string models = Path.Combine(_dir, "models");
        var first = new FakeBenchEngine();
        var (exit, _, log) = Bench(first, "--scenario", "latency", "--gen-tokens", "4", "--runs", "1", "--warmup", "0", "--models-dir", models,
            "--csv", Path.Combine(_dir, "a.csv"), "--no-chart");
        Assert.That(exit, Is.EqualTo(0), log);
        Assert.That(first.Written.Select(Path.GetFileName), Is.EqualTo(new[] { "synthetic-tinyllama-1.1b-Q4_K_M.gguf", "synthetic-tinyllama-1.1b-BF16" }));
        Assert.That(log, Does.Contain("100%"), "progress while writing");
        Assert.That(File.Exists(Path.Combine(_dir, "a.svg")), Is.False, "--no-chart");
        Assert.That(File.ReadAllText(Path.Combine(_dir, "a.html")), Does.Not.Contain("<svg"), "the report, without the chart");

        var second = new FakeBenchEngine();
        (exit, _, log) = Bench(second, "--scenario", "latency", "--gen-tokens", "4", "--runs", "1", "--warmup", "0", "--models-dir", models,
            "--all-types", "--csv", Path.Combine(_dir, "b.csv"));
        Assert.That(exit, Is.EqualTo(0), log);
        Assert.That(second.Written.Select(Path.GetFileName), Is.EqualTo(new[]
            { "synthetic-tinyllama-1.1b-Q4_0.gguf", "synthetic-tinyllama-1.1b-Q8_0.gguf", "synthetic-tinyllama-1.1b-F16.gguf" }));
        Assert.That(BenchCsv.Read(Path.Combine(_dir, "b.csv")).Select(r => r.QuantType), Is.EqualTo(new[] { "Q4_K_M", "Q4_0", "Q8_0", "F16", "BF16" }));
    }

    [Test]
    public void FullMatrixDoesTheSameWorkEveryRunAndIgnoresEos()
    {
        var engine = new FakeBenchEngine { Devices = ["cpu", "cuda"], ForcedNext = 2, SpinPerToken = 20 };
        string csv = Path.Combine(_dir, "full.csv");
        var (exit, output, log) = Bench(engine, "--models-dir", Path.Combine(_dir, "models"), "--runs", "2", "--csv", csv, "--threads", "1");
        Assert.That(exit, Is.EqualTo(0), log);

        var rows = BenchCsv.Read(csv);
        // 2 formats x 2 devices x 4 scenarios x 2 counted runs; each cell also ran one warm-up that is not written.
        Assert.That(rows, Has.Count.EqualTo(2 * 2 * 4 * 2));
        Assert.That(engine.Sessions, Has.Count.EqualTo(2 * 2 * 4 * 3));
        Assert.That(rows.Select(r => r.Run).Distinct(), Is.EquivalentTo(new[] { 1, 2 }));
        Assert.That(rows.Where(r => r.Device == "cuda").Select(r => r.PeakGpuMiB), Has.All.EqualTo(123.0));
        Assert.That(rows.Select(r => r.GpuName).Distinct().Single(), Is.EqualTo("Fake GPU 9000"));

        foreach (var scenario in BenchScenario.Presets)
        {
            var sessions = engine.Sessions.Where(s => s[0].Length == scenario.PromptTokens && s.Count == scenario.GenTokens).ToList();
            Assert.That(sessions, Has.Count.EqualTo(2 * 2 * 3), $"{scenario}: one prefill + gen-1 single-token steps despite EOS every step");
            Assert.That(sessions.Select(s => s[0]), Has.All.EqualTo(BenchPrompt.Tokens(32000, scenario.PromptTokens)));
            Assert.That(sessions.SelectMany(s => s.Skip(1)), Has.All.EqualTo(new[] { 2 }));
        }
        Assert.That(engine.Loads.Select(l => l.Context).Distinct(), Is.EquivalentTo(new[] { 256, 768 }), "short-chat 160, latency 65 -> 256; long-prompt 544, long-gen 528 -> 768");
        foreach (string scenario in new[] { "short-chat", "long-prompt", "long-gen", "latency" })
            Assert.That(output, Does.Contain($"{scenario}: "));
        Assert.That(output.Split('\n').Count(l => l.Contains("| SafeTensors BF16")), Is.EqualTo(4 * 2), "a gap line per scenario and device");
    }

    [Test]
    public void FailedCellsAreReportedAndTheRestIsWritten()
    {
        var engine = new FakeBenchEngine { Devices = ["cpu", "cuda"], FailingDevice = "cuda", ModelContext = 100 };
        string csv = Path.Combine(_dir, "f.csv");
        var (exit, output, _) = Bench(engine, "--models-dir", Path.Combine(_dir, "models"), "--scenario", "short-chat", "--scenario", "latency",
            "--runs", "1", "--warmup", "0", "--csv", csv);
        Assert.That(exit, Is.EqualTo(BenchCommand.ExitRunFailed));
        // cuda fails to load everywhere; short-chat (160 tokens) does not fit a 100-token model on cpu.
        var rows = BenchCsv.Read(csv);
        Assert.That(rows.Select(r => (r.Scenario, r.Device)).Distinct(), Is.EquivalentTo(new[] { ("latency", "cpu") }));
        Assert.That(output, Does.Contain("6 cell(s) failed"));
        Assert.That(output, Does.Contain("fake load failure on cuda"));
        Assert.That(output, Does.Contain("needs 160 tokens of context, the model has 100"));
    }

    [Test]
    public void CancelStopsAfterTheRunInProgressAndKeepsWhatWasMeasured()
    {
        using var cts = new CancellationTokenSource();
        FakeBenchEngine? engine = null;
        engine = new FakeBenchEngine { SpinPerToken = 1, OnLoad = () => { if (engine!.Loads.Count == 3) cts.Cancel(); } };
        string csv = Path.Combine(_dir, "c.csv");
        int exit = BenchCommand.Run(BenchOptions.Parse(["--models-dir", Path.Combine(_dir, "models"), "--scenario", "latency", "--warmup", "0", "--csv", csv]),
            () => engine, new StringWriter(), new StringWriter(), interactive: false, cts.Token);
        Assert.That(exit, Is.EqualTo(BenchCommand.ExitCancelled));
        Assert.That(BenchCsv.Read(csv).Select(r => r.Run), Is.EqualTo(new[] { 1, 2, 3 }), "the third run, in progress when cancelled, finishes");
    }

    [Test]
    public void CompareAgainstAPeerCsv()
    {
        var engine = new FakeBenchEngine();
        string ours = Path.Combine(_dir, "ours.csv"), peer = Path.Combine(_dir, "peer.csv");
        var (exit, _, log) = Bench(engine, "--quick", "--models-dir", Path.Combine(_dir, "models"), "--csv", ours, "--no-chart");
        Assert.That(exit, Is.EqualTo(0), log);

        // A llama.cpp file for the GGUF cell only, twice our generation speed.
        var peerRows = BenchCsv.Read(ours).Where(r => r.Format == "gguf").ToList();
        foreach (var r in peerRows) { r.Engine = "llama.cpp"; r.GenTokensPerSec *= 2; r.QuantType = ""; }
        BenchCsv.Write(peer, peerRows);

        var (exit2, output, _) = Bench(new FakeBenchEngine(), "--results", ours, "--compare", peer);
        Assert.That(exit2, Is.EqualTo(0));
        Assert.That(output, Does.Contain("versus llama.cpp"));
        Assert.That(output, Does.Contain("synthetic-tiny-Q8_0.gguf"));
        Assert.That(output, Does.Contain("0.50x"));
        Assert.That(output, Does.Contain("1 of our cells have no llama.cpp row"));

        foreach (var r in peerRows) r.ModelFile = "someone-else.gguf";
        BenchCsv.Write(peer, peerRows);
        var (exit3, output3, _) = Bench(new FakeBenchEngine(), "--results", ours, "--compare", peer);
        Assert.That(exit3, Is.EqualTo(BenchCommand.ExitNoComparison));
        Assert.That(output3, Does.Contain("no cell matched"));

        // A run with --compare puts the comparison into its HTML report too.
        foreach (var r in peerRows) r.ModelFile = "synthetic-tiny-Q8_0.gguf";
        BenchCsv.Write(peer, peerRows);
        string again = Path.Combine(_dir, "again.csv");
        var (exit4, _, log4) = Bench(new FakeBenchEngine(), "--quick", "--models-dir", Path.Combine(_dir, "models"), "--csv", again, "--compare", peer);
        Assert.That(exit4, Is.EqualTo(0), log4);
        string html = File.ReadAllText(Path.ChangeExtension(again, ".html"));
        Assert.That(html, Does.Contain("<section id=\"compare\">").And.Contain("<td>synthetic-tiny-Q8_0.gguf</td>").And.Contain("of our cells have no llama.cpp row"));
    }

    [Test]
    public void ConcurrencyScenarioWritesOneRowPerStreamCountWithItsColumns()
    {
        var engine = new FakeBenchEngine { SpinPerToken = 20 };
        string csv = Path.Combine(_dir, "conc.csv");
        var (exit, output, log) = Bench(engine, "--models-dir", Path.Combine(_dir, "models"), "--concurrency", "1,3", "--prompt-tokens", "4",
            "--gen-tokens", "5", "--runs", "2", "--csv", csv, "--threads", "2");
        Assert.That(exit, Is.EqualTo(0), log + output);

        var rows = BenchCsv.Read(csv);
        // 2 formats x 2 stream counts x 2 counted runs (one uncounted warm-up each); no other scenario.
        Assert.That(rows, Has.Count.EqualTo(2 * 2 * 2));
        Assert.That(rows.Select(r => (r.Scenario, r.PromptTokens, r.GenTokens)).Distinct().Single(), Is.EqualTo(("concurrent", 4, 5)));
        Assert.That(rows.Select(r => r.Concurrency).Distinct(), Is.EquivalentTo(new[] { 1, 3 }));
        Assert.That(engine.LoadSequences, Is.EquivalentTo(Enumerable.Repeat(1, 2 * 3).Concat(Enumerable.Repeat(3, 2 * 3))), "the model holds C sequences");
        foreach (var r in rows)
        {
            Assert.That(new[] { r.TtftMs, r.PromptTokensPerSec, r.GenTokensPerSec, r.MedianInterTokenMs, r.AggregateGenTokensPerSec!.Value },
                Has.All.GreaterThan(0).And.All.Matches<double>(double.IsFinite));
            Assert.That(r.GenTokensPerSec, Is.EqualTo(1000 / r.MedianInterTokenMs).Within(1e-6).Percent);
            // The fake runs one forward pass per call: per stream 5 steps for 4 prompt + 4 decode rows.
            Assert.That(r.RowsPerStep, Is.EqualTo(8.0 / 5).Within(1e-9));
        }

        // Each stream of a 3-stream run: its own prompt (seed + stream), then 4 single-token steps.
        var prompts = engine.Sessions.Select(s => string.Join(",", s[0])).ToList();
        string Prompt(int stream) => string.Join(",", BenchPrompt.Tokens(32000, 4, BenchPrompt.DefaultSeed + (ulong)stream));
        Assert.That(prompts.Count(p => p == Prompt(0)), Is.EqualTo(2 * 3 * 2), "stream 0 of every run: the single-session prompt");
        Assert.That(prompts.Count(p => p == Prompt(1)) + prompts.Count(p => p == Prompt(2)), Is.EqualTo(2 * 3 * 2));
        Assert.That(engine.Sessions, Has.All.Count.EqualTo(5));

        Assert.That(output, Does.Contain("concurrent: streams at once on one model, each 4 prompt tokens and 5 generated; median of 2 runs"));
        Assert.That(output, Does.Contain("aggregate t/s").And.Contain("rows/step"));
        Assert.That(output, Does.Contain("cpu GGUF Q4_K_M: aggregate x3 ").And.Contain("cpu SafeTensors BF16: aggregate x3 "));
        var json = BenchJson.Read(Path.ChangeExtension(csv, ".json"));
        Assert.That(json.Records.Select(r => r.Concurrency), Is.EqualTo(rows.Select(r => r.Concurrency)));
        Assert.That(json.Records[0].AggregateGenTokensPerSec, Is.EqualTo(rows[0].AggregateGenTokensPerSec).Within(1e-9));
        Assert.That(File.Exists(Path.ChangeExtension(csv, ".svg")) && File.Exists(Path.ChangeExtension(csv, ".html")));

        // Against a llama.cpp file with the same cells, half our aggregate speed: ratios per stream count.
        var peerRows = rows.Where(r => r.Format == "gguf").ToList();
        foreach (var r in peerRows) { r.Engine = "llama.cpp"; r.AggregateGenTokensPerSec /= 2; r.RowsPerStep = 9; }
        string peer = Path.Combine(_dir, "conc-peer.csv");
        BenchCsv.Write(peer, peerRows);
        var (exit2, compared, _) = Bench(new FakeBenchEngine(), "--results", csv, "--compare", peer);
        Assert.That(exit2, Is.EqualTo(0));
        var lines = compared.Split('\n').Where(l => l.Contains("synthetic-tinyllama-1.1b-Q4_K_M.gguf")).ToList();
        Assert.That(lines, Has.Count.EqualTo(2), "one compared row per stream count");
        Assert.That(lines, Has.All.Contains("2.00x").And.All.Contains("1.60").And.All.Contains("9.00"));
        Assert.That(compared, Does.Contain("streams"));
    }

    [Test]
    public void CsvFilesFromBeforeTheConcurrencyColumnsStillRead()
    {
        string old = Path.Combine(_dir, "old.csv");
        File.WriteAllLines(old,
        [
            string.Join(",", FirstColumns),
            "2026-11-26T10:00:00Z,minerva-native,0.1.0,abc,short-chat,gguf,Q4_K_M,m.gguf,cpu,cpu,2,1,32,128,30,741.8,43.1,18.37,54.4,794,,Xeon,2,512,,,Linux,.NET 10",
        ]);
        var r = BenchCsv.Read(old).Single();
        Assert.That((r.Scenario, r.GenTokensPerSec, r.Runtime), Is.EqualTo(("short-chat", 18.37, ".NET 10")));
        Assert.That((r.Concurrency, r.AggregateGenTokensPerSec, r.RowsPerStep), Is.EqualTo((1, (double?)null, (double?)null)));
    }

    [Test]
    public void CsvFilesFromBeforeTheCeilingColumnsStillRead()
    {
        string old = Path.Combine(_dir, "old-concurrency.csv");
        File.WriteAllLines(old,
        [
            string.Join(",", FirstColumns.Concat(ConcurrencyColumns)),
            "2026-11-27T10:00:00Z,minerva-native,0.1.0,abc,concurrent,gguf,Q4_K_M,m.gguf,cpu,cpu,2,1,32,64,30,868,36.8,19.95,50.1,794,,Xeon,2,512,,,Linux,.NET 10,4,18.9,5.85",
        ]);
        var r = BenchCsv.Read(old).Single();
        Assert.That((r.Concurrency, r.AggregateGenTokensPerSec, r.RowsPerStep), Is.EqualTo((4, (double?)18.9, (double?)5.85)));
        Assert.That((r.WeightBytesPerToken, r.ReadBandwidthGBps, r.GenCeilingTokensPerSec, r.GenPercentOfCeiling),
            Is.EqualTo(((long?)null, (double?)null, (double?)null, (double?)null)));
        var output = new StringWriter();
        BenchSummary.Print(output, [r]);
        Assert.That(output.ToString(), Does.Not.Contain("ceiling"), "no ceiling columns for files without them");
    }

    /// <summary>
    /// With a bandwidth probe (a fake: 10 GB/s) and models of 500 MB per token, CPU cells get a ceiling of 20 t/s and their
    /// share of it; GPU cells only the weight bytes. Probed once, with the bench's threads, and recorded in every file.
    /// </summary>
    [Test]
    public void CpuCellsGetTheDecodeCeilingFromOneProbe()
    {
        var engine = new FakeBenchEngine { Devices = ["cpu", "cuda"], WeightBytesPerToken = 500_000_000, SpinPerToken = 20 };
        var probes = new List<int>();
        string csv = Path.Combine(_dir, "ceiling.csv");
        var output = new StringWriter();
        var log = new StringWriter();
        int exit = BenchCommand.Run(BenchOptions.Parse("--models-dir", Path.Combine(_dir, "models"), "--scenario", "latency", "--concurrency", "2",
                "--gen-tokens", "4", "--runs", "2", "--warmup", "0", "--threads", "3", "--csv", csv),
            () => engine, output, log, interactive: false, bandwidthProbe: threads => { probes.Add(threads); return 10.0; });
        Assert.That(exit, Is.EqualTo(0), log.ToString() + output);
        Assert.That(probes, Is.EqualTo(new[] { 3 }), "one probe, with --threads");
        Assert.That(log.ToString(), Does.Contain("memory read bandwidth: 10.0 GB/s (3 threads)"));

        var rows = BenchCsv.Read(csv);
        Assert.That(rows.Select(r => r.WeightBytesPerToken), Has.All.EqualTo(500_000_000L));
        foreach (var r in rows.Where(r => r.Device == "cpu"))
        {
            Assert.That((r.ReadBandwidthGBps, r.GenCeilingTokensPerSec), Is.EqualTo(((double?)10.0, (double?)20.0)));
            Assert.That(r.GenPercentOfCeiling, Is.EqualTo(100 * r.GenTokensPerSec / 20.0).Within(1e-9));
        }
        Assert.That(rows.Where(r => r.Device == "cuda").Select(r => (r.ReadBandwidthGBps, r.GenCeilingTokensPerSec, r.GenPercentOfCeiling)),
            Has.All.EqualTo(((double?)null, (double?)null, (double?)null)));

        var tables = BenchSummary.Tables(rows).ToList();
        Assert.That(tables, Has.Count.EqualTo(2), "latency, concurrent x2");
        foreach (var table in tables)
        {
            int ceiling = Array.IndexOf(table.Rows[0], "gen ceiling t/s");
            Assert.That(ceiling, Is.GreaterThan(0), table.Caption);
            Assert.That(table.Rows[0][ceiling + 1], Is.EqualTo("% of ceiling"));
            foreach (var row in table.Rows.Skip(1))
            {
                bool cpu = row[1] == "cpu";
                Assert.That(row[ceiling], Is.EqualTo(cpu ? "20.0" : "-"));
                Assert.That(row[ceiling + 1], cpu ? Does.Match(@"^\d+%$") : Is.EqualTo("-"));
            }
        }
        Assert.That(output.ToString(), Does.Contain("gen ceiling t/s").And.Contain("% of ceiling"));

        var json = BenchJson.Read(Path.ChangeExtension(csv, ".json"));
        Assert.That((json.Machine.ReadBandwidthGBps, json.Machine.ReadBandwidthThreads), Is.EqualTo(((double?)10.0, (int?)3)));
        Assert.That(json.Records.Select(r => r.GenCeilingTokensPerSec), Is.EqualTo(rows.Select(r => r.GenCeilingTokensPerSec)));
        Assert.That(File.ReadAllText(Path.ChangeExtension(csv, ".html")),
            Does.Contain("Memory read bandwidth</th><td>10.0 GB/s (3 threads)").And.Contain("gen ceiling t/s"));
    }

    [Test]
    public void NoProbeWithoutCpuCells()
    {
        var engine = new FakeBenchEngine { Devices = ["cpu", "cuda"], WeightBytesPerToken = 1000, SpinPerToken = 20 };
        bool probed = false;
        string csv = Path.Combine(_dir, "gpu.csv");
        int exit = BenchCommand.Run(BenchOptions.Parse("--models-dir", Path.Combine(_dir, "models"), "--device", "cuda", "--scenario", "latency",
                "--gen-tokens", "3", "--runs", "1", "--warmup", "0", "--csv", csv, "--no-chart"),
            () => engine, TextWriter.Null, TextWriter.Null, interactive: false, bandwidthProbe: _ => { probed = true; return 1; });
        Assert.That(exit, Is.EqualTo(0));
        Assert.That(probed, Is.False);
        Assert.That(BenchCsv.Read(csv).Select(r => r.GenCeilingTokensPerSec), Has.All.Null);
    }

    [Test]
    public void DispatcherRoutesBenchAndTurnsBadFlagsIntoOneLine()
    {
        var err = new StringWriter();
        var outw = new StringWriter();
        var (oldErr, oldOut) = (Console.Error, Console.Out);
        Console.SetError(err);
        Console.SetOut(outw);
        try
        {
            Assert.That(CommandLine.Run(["bench", "--runs", "zero"]), Is.EqualTo(2));
            Assert.That(CommandLine.Run(["bench", "--help"]), Is.EqualTo(0));
            Assert.That(CommandLine.Run(["--help"]), Is.EqualTo(0));
        }
        finally
        {
            Console.SetError(oldErr);
            Console.SetOut(oldOut);
        }
        Assert.That(err.ToString().TrimEnd(), Is.EqualTo("minerva-native bench: --runs expects an integer, got 'zero'"));
        Assert.That(outw.ToString(), Does.Contain("minerva-native bench [options]"));
        Assert.That(outw.ToString(), Does.Contain("  bench "));
    }
}
