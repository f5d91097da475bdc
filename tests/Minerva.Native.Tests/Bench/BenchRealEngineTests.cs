using Minerva.Native.Cli.Bench;
using Minerva.Native.Tests.Cli;
using Minerva.Native.Tests.Model;

namespace Minerva.Native.Tests.Bench;

/// <summary>`minerva-native bench --quick` on the real engine, as a person runs it: files written, every column plausible.</summary>
public class BenchRealEngineTests
{
    [Test]
    public void QuickBenchOnTheEngineWritesCsvJsonAndChart()
    {
        string dir = TestPaths.NewScratch("bench-real");
        try
        {
            string csv = Path.Combine(dir, "quick.csv");
            var r = CliProcess.Run("bench", "--quick", "--device", "cpu", "--threads", "2", "--models-dir", Path.Combine(dir, "models"), "--csv", csv);
            Assert.That(r.ExitCode, Is.EqualTo(0), r.StdErr + r.StdOut);
            var rows = BenchCsv.Read(csv);
            Assert.That(rows.Select(x => (x.Format, x.QuantType)), Is.EquivalentTo(new[] { ("gguf", "Q8_0"), ("safetensors", "BF16") }));
            foreach (var row in rows)
            {
                Assert.That(row.Engine, Is.EqualTo("minerva-native"));
                Assert.That((row.Device, row.Threads, row.PromptTokens, row.GenTokens), Is.EqualTo(("cpu", 2, 16, 16)));
                Assert.That(new[] { row.LoadMs, row.TtftMs, row.PromptTokensPerSec, row.GenTokensPerSec, row.PeakHostMiB },
                    Has.All.GreaterThan(0).And.All.Matches<double>(double.IsFinite));
                Assert.That(row.DeviceName, Does.Contain("threads"));
                Assert.That(row.SimdWidthBits, Is.AnyOf(32, 256, 512));
            }
            Assert.That(File.Exists(Path.ChangeExtension(csv, ".json")) && File.Exists(Path.ChangeExtension(csv, ".svg")) && File.Exists(Path.ChangeExtension(csv, ".html")));
            Assert.That(r.StdOut, Does.Contain("cpu: GGUF Q8_0").And.Contain("| SafeTensors BF16"));
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>
    /// The concurrency scenario on the engine: 4 sessions on one tiny model each generate N tokens, the same tokens each
    /// makes alone, in far fewer forward steps than 4 separate streams would take.
    /// </summary>
    [Test]
    public void FourConcurrentStreamsOnTheEngineAreBatchedIntoSharedSteps()
    {
        const int Streams = 4, Prompt = 4, Gen = 16;
        var engine = new MinervaEngineAdapter();
        string path = TestModels.Gguf("q8_0");
        using var model = engine.Load(path, "cpu", threads: 2, contextLength: 256, sequences: Streams);
        var prompts = Enumerable.Range(0, Streams).Select(i => BenchPrompt.Tokens(model.VocabSize, Prompt, BenchPrompt.DefaultSeed + (ulong)i)).ToList();

        var run = model.GenerateConcurrently(prompts, Gen);
        Assert.That(run.Streams.Select(s => s.Tokens.Length), Is.EqualTo(Enumerable.Repeat(Gen, Streams)), "4 x N tokens");
        for (int i = 0; i < Streams; i++)
            Assert.That(run.Streams[i].Tokens, Is.EqualTo(model.GenerateConcurrently([prompts[i]], Gen).Streams[0].Tokens), $"stream {i} alone");
        // Every prompt row and every generated token but the last (it is never fed back) is one row.
        Assert.That(run.Rows, Is.EqualTo(Streams * (Prompt + Gen - 1)));
        Assert.That(run.Steps, Is.LessThan(Streams * (Gen - 1)), "decode rows of different streams shared steps");
        Assert.That((double)run.Rows!.Value / run.Steps!.Value, Is.GreaterThan(2.0), "one stream alone: 19 rows in 16 steps");
        Assert.That(run.Streams, Has.All.Matches<StreamRun>(s => s.FirstTokenMs > 0 && s.LastTokenMs >= s.FirstTokenMs));

        // The same through the bench's runner: one record with the concurrency columns.
        var machine = BenchMachine.Detect(engine);
        var record = new BenchRunner(engine, machine, TextWriter.Null)
            .RunOnce(new BenchTarget(path, "gguf", "Q8_0"), "cpu", BenchScenario.Concurrent with { PromptTokens = Prompt, GenTokens = Gen, Streams = Streams }, 2, BenchPrompt.DefaultSeed);
        Assert.That((record.Scenario, record.Concurrency, record.PromptTokens, record.GenTokens), Is.EqualTo(("concurrent", Streams, Prompt, Gen)));
        Assert.That(record.RowsPerStep, Is.GreaterThan(2.0));
        Assert.That(new[] { record.TtftMs, record.GenTokensPerSec, record.AggregateGenTokensPerSec!.Value, record.PromptTokensPerSec },
            Has.All.GreaterThan(0).And.All.Matches<double>(double.IsFinite));
    }
}
