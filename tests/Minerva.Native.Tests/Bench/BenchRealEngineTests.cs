using Minerva.Native.Cli.Bench;
using Minerva.Native.Tests.Cli;

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
            Assert.That(File.Exists(Path.ChangeExtension(csv, ".json")) && File.Exists(Path.ChangeExtension(csv, ".png")));
            Assert.That(r.StdOut, Does.Contain("cpu: GGUF Q8_0").And.Contain("| SafeTensors BF16"));
        }
        finally { Directory.Delete(dir, true); }
    }
}
