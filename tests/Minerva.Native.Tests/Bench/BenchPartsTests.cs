// Unit checks of the bench's pure parts: prompt ids, option parsing, medians, gap lines, --compare matching.
using Minerva.Native.Cli;
using Minerva.Native.Cli.Bench;
using Minerva.Native.Tests.Cli;

namespace Minerva.Native.Tests.Bench;

public class BenchPartsTests
{
    [Test]
    public void PromptIsFixedAvoidsControlAndByteTokensAndDependsOnTheSeed()
    {
        int[] a = BenchPrompt.Tokens(32000, 512);
        Assert.That(BenchPrompt.Tokens(32000, 512), Is.EqualTo(a));
        Assert.That(BenchPrompt.Tokens(32000, 16), Is.EqualTo(a[..16]), "a shorter prompt is a prefix of a longer one");
        Assert.That(a, Has.All.InRange(259, 31999));
        Assert.That(a.Distinct().Count(), Is.GreaterThan(400), "ids spread over the vocab");
        Assert.That(BenchPrompt.Tokens(32000, 512, seed: 7), Is.Not.EqualTo(a));
        Assert.That(BenchPrompt.Tokens(100, 200), Has.All.InRange(3, 99));
        // SplitMix64 from state 0: the first output is the published 0xE220A8397B1DCDAF.
        Assert.That(BenchPrompt.Tokens(1 << 30, 1, seed: 0)[0], Is.EqualTo(259 + (int)(0xE220A8397B1DCDAFUL % (ulong)((1 << 30) - 259))));
    }

    [Test]
    public void DefaultsCoverTheFullMatrix()
    {
        var o = BenchOptions.Parse();
        Assert.That(o.Scenarios.Select(s => (s.Name, s.PromptTokens, s.GenTokens)), Is.EqualTo(new[]
        {
            ("short-chat", 32, 128), ("long-prompt", 512, 32), ("long-gen", 16, 512), ("latency", 1, 64),
        }));
        Assert.That((o.Runs, o.Warmup, o.Threads, o.Chart, o.Json), Is.EqualTo((3, 1, Environment.ProcessorCount, true, true)), "JSON is written by default (--no-json skips it)");
        Assert.That(o.Devices, Is.Empty, "empty = every device the engine has");
    }

    [Test]
    public void SubsetAndOverrideFlags()
    {
        var o = BenchOptions.Parse(["--scenario", "latency", "--scenario", "long-gen", "--gen-tokens", "8", "--device", "CPU", "--runs", "5", "--warmup", "0", "--threads", "3"]);
        Assert.That(o.Scenarios.Select(s => (s.Name, s.PromptTokens, s.GenTokens)), Is.EqualTo(new[] { ("latency", 1, 8), ("long-gen", 16, 8) }));
        Assert.That((o.Devices.Single(), o.Runs, o.Warmup, o.Threads), Is.EqualTo(("cpu", 5, 0, 3)));

        var q = BenchOptions.Parse(["--quick"]);
        Assert.That((q.Quick, q.Runs, q.Warmup, q.Scenarios.Single().Name), Is.EqualTo((true, 1, 0, "quick")));
    }

    [Test]
    public void ConcurrencyFlagSelectsTheConcurrentScenarioPerStreamCount()
    {
        static (string, int, int, int)[] Of(params string[] argv) =>
            [.. BenchOptions.Parse(argv).Scenarios.Select(s => (s.Name, s.PromptTokens, s.GenTokens, s.Streams))];

        Assert.That(Of("--concurrency", "1,4,8"), Is.EqualTo(new[] { ("concurrent", 32, 64, 1), ("concurrent", 32, 64, 4), ("concurrent", 32, 64, 8) }));
        Assert.That(Of("--concurrency", "4, 4,2"), Is.EqualTo(new[] { ("concurrent", 32, 64, 4), ("concurrent", 32, 64, 2) }), "distinct, in order");
        Assert.That(Of("--scenario", "concurrent").Select(s => s.Item4), Is.EqualTo(BenchScenario.DefaultStreams));
        Assert.That(Of("--scenario", "latency", "--concurrency", "2", "--gen-tokens", "8"),
            Is.EqualTo(new[] { ("latency", 1, 8, 0), ("concurrent", 32, 8, 2) }), "after the named ones, with the overrides");
        Assert.That(BenchScenario.Concurrent with { Streams = 4 }, Has.Property("TotalTokens").EqualTo(96), "sizes are per stream");
        Assert.That((BenchScenario.Concurrent with { Streams = 4 }).ToString(), Is.EqualTo("concurrent x4 (32/64)"));
    }

    [TestCase("--device tpu", "--device must be cpu or cuda")]
    [TestCase("--runs 0", "--runs must be at least 1")]
    [TestCase("--runs x", "--runs expects an integer")]
    [TestCase("--gen-tokens 1", "--gen-tokens must be at least 2")]
    [TestCase("--prompt-tokens 0", "--prompt-tokens must be at least 1")]
    [TestCase("--scenario nope", "unknown scenario 'nope'")]
    [TestCase("--concurrency 0", "--concurrency expects stream counts of at least 1")]
    [TestCase("--concurrency 1,x", "--concurrency expects stream counts")]
    [TestCase("--frobnicate", "unknown option '--frobnicate'")]
    [TestCase("--model /no/such/file.gguf", "does not exist")]
    [TestCase("--quick --all-types", "--quick uses its own tiny model")]
    [TestCase("--csv", "--csv needs a value")]
    [TestCase("extra", "unexpected argument 'extra'")]
    public void BadFlagsAreOneLineUsageErrors(string argv, string message)
    {
        var e = Assert.Throws<UsageException>(() => BenchOptions.Parse(argv.Split(' ')));
        Assert.That(e!.Message, Does.Contain(message));
        Assert.That(e.Message, Does.Not.Contain('\n'));
    }

    [Test]
    public void HelpListsEveryFlag()
    {
        var r = CliProcess.InProcess("bench", "--help");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.StdErr);
        string help = r.StdOut;
        foreach (string flag in new[] { "--model", "--all-types", "--models-dir", "--quick", "--device", "--scenario", "--prompt-tokens",
                     "--gen-tokens", "--concurrency", "--runs", "--warmup", "--threads", "--csv", "--json", "--no-json", "--no-chart", "--compare", "--results", "--help" })
            Assert.That(help, Does.Contain(flag + " ").Or.Contain(flag + "\n").Or.Contain(flag + "\r"), flag);
        foreach (var s in BenchScenario.Presets.Append(BenchScenario.Concurrent)) Assert.That(help, Does.Contain(s.Name));
    }

    [Test]
    public void MedianAndSpread()
    {
        Assert.That(BenchRunner.Median([3, 1, 2]), Is.EqualTo(2));
        Assert.That(BenchRunner.Median([4, 1, 3, 2]), Is.EqualTo(2.5));
        Assert.That(BenchRunner.Median([]), Is.EqualTo(0));
        Assert.That(Spread.Of([30.1, 30.9, 30.4]).Format("F1"), Is.EqualTo("30.4 (30.1..30.9)"));
        Assert.That(Spread.Of([5, 5]).Format("F1"), Is.EqualTo("5.0"));
        Assert.That(BenchRunner.ContextFor(BenchScenario.LongGeneration), Is.EqualTo(768));
        Assert.That(BenchRunner.ContextFor(BenchScenario.ShortChat), Is.EqualTo(256));
    }

    [Test]
    public void GapLineComparesGgufWithSafetensorsPerDevice()
    {
        var records = new[]
        {
            Rec("short-chat", "gguf", "Q4_K_M", "m.gguf", "cpu", 30.4), Rec("short-chat", "gguf", "Q4_K_M", "m.gguf", "cpu", 30.0),
            Rec("short-chat", "gguf", "Q4_K_M", "m.gguf", "cpu", 31.0),
            Rec("short-chat", "safetensors", "BF16", "m-bf16", "cpu", 18.8),
            Rec("short-chat", "gguf", "Q4_K_M", "m.gguf", "cuda", 200), Rec("short-chat", "safetensors", "BF16", "m-bf16", "cuda", 100),
        };
        Assert.That(BenchSummary.GapLines(records), Is.EqualTo(new[]
        {
            "cpu: GGUF Q4_K_M 30.4 t/s | SafeTensors BF16 18.8 t/s | gap 1.62x",
            "cuda: GGUF Q4_K_M 200.0 t/s | SafeTensors BF16 100.0 t/s | gap 2.00x",
        }));
    }

    [Test]
    public void CompareMatchesOnScenarioSizesFormatFileAndDevice()
    {
        var ours = new List<BenchRecord>
        {
            Rec("short-chat", "gguf", "Q4_K_M", "m.gguf", "cpu", 30), Rec("short-chat", "gguf", "Q4_K_M", "m.gguf", "cpu", 32),
            Rec("short-chat", "safetensors", "BF16", "m-bf16", "cpu", 20),
            Rec("latency", "gguf", "Q4_K_M", "m.gguf", "cpu", 40),
        };
        var peer = new List<BenchRecord>
        {
            Rec("short-chat", "gguf", "Q4_K_M", "m.gguf", "cpu", 20), Rec("short-chat", "gguf", "", "m.gguf", "cpu", 22),
            Rec("latency", "gguf", "Q4_K_M", "m.gguf", "cuda", 90),
            Rec("latency", "gguf", "Q4_K_M", "other.gguf", "cpu", 90),
        };
        var rows = BenchCompare.Match(ours, peer, out int unmatched);
        Assert.That(rows, Has.Count.EqualTo(1));
        Assert.That((rows[0].Scenario, rows[0].OurGen, rows[0].PeerGen), Is.EqualTo(("short-chat", 31.0, 21.0)));
        Assert.That(rows[0].GenRatio, Is.EqualTo(31.0 / 21.0).Within(1e-12));
        Assert.That(unmatched, Is.EqualTo(2));

        var w = new StringWriter();
        BenchCompare.Print(w, rows, unmatched, "peer.csv");
        Assert.That(w.ToString(), Does.Contain("1.48x"));
    }

    [Test]
    public void CompareKeepsStreamCountsApartAndScalingIsOverOneStream()
    {
        BenchRecord C(int streams, double aggregate, double? rowsPerStep = null)
        {
            var r = Rec("concurrent", "gguf", "Q4_K_M", "m.gguf", "cpu", 10);
            (r.Concurrency, r.AggregateGenTokensPerSec, r.RowsPerStep, r.GenTokens) = (streams, aggregate, rowsPerStep ?? streams, 64);
            return r;
        }
        var ours = new List<BenchRecord> { C(1, 10), C(4, 30), C(4, 32), C(8, 40) };
        var peer = new List<BenchRecord> { C(1, 20), C(4, 20, 3.5), C(16, 80) };
        var rows = BenchCompare.Match(ours, peer, out int unmatched);
        Assert.That(rows.Select(r => (r.Concurrency, r.OurAggregate, r.PeerAggregate, r.OurRowsPerStep, r.PeerRowsPerStep)),
            Is.EqualTo(new (int, double?, double?, double?, double?)[] { (1, 10, 20, 1, 1), (4, 31, 20, 4, 3.5) }));
        Assert.That(rows.Select(r => r.AggregateRatio), Is.EqualTo(new[] { 0.5, 1.55 }).Within(1e-12));
        Assert.That(unmatched, Is.EqualTo(1), "8 streams: no llama.cpp row");
        var w = new StringWriter();
        BenchCompare.Print(w, rows, unmatched, "peer.csv");
        Assert.That(w.ToString(), Does.Contain("1.55x").And.Contain("streams").And.Not.Contain("prompt t/s"), "only the concurrency table");

        Assert.That(BenchSummary.ScalingLines(ours), Is.EqualTo(new[] { "cpu GGUF Q4_K_M: aggregate x4 3.10x, x8 4.00x of x1" }));
        var summary = new StringWriter();
        BenchSummary.Print(summary, ours);
        Assert.That(summary.ToString(), Does.Contain("concurrent: streams at once on one model, each 32 prompt tokens and 64 generated"));
    }

    internal static BenchRecord Rec(string scenario, string format, string type, string file, string device, double gen) => new()
    {
        Scenario = scenario, Format = format, QuantType = type, ModelFile = file, Device = device, GenTokensPerSec = gen,
        PromptTokensPerSec = gen * 10, TtftMs = 1000 / gen, PromptTokens = 32, GenTokens = 128,
    };
}
