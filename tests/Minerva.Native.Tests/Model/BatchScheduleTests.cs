// The continuous-batching schedule the GPU tests run (BatchSchedule), checked on its own and run on the CPU backend: the
// steps feed each sequence's positions once and in order, and one sequence's logits do not depend on the others it shares
// steps with.
using Minerva.Native.Backends.Cpu;
using Minerva.Native.Execution;
using Minerva.Native.Model;
using Minerva.Native.Tensors;

namespace Minerva.Native.Tests.Model;

public class BatchScheduleTests
{
    [Test]
    public void StepsFeedEverySequenceItsPositionsOnceInOrder()
    {
        var next = new int[BatchSchedule.Sequences];
        foreach (var (parts, _) in BatchSchedule.Steps)
        {
            Assert.That(parts.Sum(p => p.Count), Is.InRange(1, BatchSchedule.BatchSize));
            Assert.That(parts.Select(p => p.Seq).Distinct().Count(), Is.EqualTo(parts.Length), "one part per sequence and step");
            foreach (var (seq, from, count) in parts)
            {
                Assert.That(from, Is.EqualTo(next[seq]), $"sequence {seq} goes on where it stopped");
                next[seq] = from + count;
            }
        }
        Assert.That(next, Is.EqualTo(BatchSchedule.Lengths));
        Assert.That(BatchSchedule.Lengths.Max(), Is.LessThanOrEqualTo(BatchSchedule.Context));
        Assert.That(BatchSchedule.Lengths[0], Is.GreaterThan(128), "sequence 0 reaches the second 128-key decode split");
        for (int i = 0; i < BatchSchedule.Decode4Steps; i++) Assert.That(BatchSchedule.Steps[BatchSchedule.FirstDecode4 + i].Parts, Has.Length.EqualTo(4));
        for (int i = 0; i < BatchSchedule.Decode3Steps; i++) Assert.That(BatchSchedule.Steps[BatchSchedule.FirstDecode3 + i].Parts, Has.Length.EqualTo(3));
        Assert.That(BatchSchedule.Steps[BatchSchedule.LastDecode4].Parts, Has.Length.EqualTo(4));
        Assert.That(BatchSchedule.Steps, Has.Length.EqualTo(BatchSchedule.LastDecode4 + 1));
        Assert.That(BatchSchedule.Steps.Take(BatchSchedule.FirstDecode4).All(s => s.Parts.Sum(p => p.Count) > 8), "the prompt steps are larger than a decode graph");
    }

    // The CPU computes each row alike whatever else its step holds (measured: identical logits); the bound leaves room
    // for a summation order that depends on the number of rows.
    [TestCase(0)]
    [TestCase(40)]
    public void OnTheCpuEachSequenceGetsTheLogitsItGetsAlone(int window)
    {
        var config = ModelPreset.Tiny with { SlidingWindow = window, Architecture = window > 0 ? "mistral" : "llama" };
        using var model = new InMemoryModel(config, GgmlType.F32);
        using var cpu = new CpuBackend(threads: 2);
        int vocab = config.VocabSize;
        var alone = Enumerable.Range(0, BatchSchedule.Sequences)
            .Select(s => model.Logits(cpu, BatchSchedule.Tokens(s, vocab), decode: false, BatchSchedule.Context)).ToArray();
        using var onCpu = new BackendModel(cpu, model.Config, model.Weights);
        var seen = new List<int>();
        var batched = BatchSchedule.Run(onCpu, seen.Add);
        Assert.That(seen, Is.EqualTo(Enumerable.Range(0, BatchSchedule.Steps.Length)));
        Assert.That(batched, Has.Count.EqualTo(BatchSchedule.Steps.Sum(s => s.AllRows ? s.Parts.Sum(p => p.Count) : s.Parts.Length)));
        double error = BatchSchedule.RelativeError(batched, alone, vocab);
        TestContext.Out.WriteLine($"window {window}: max |batched − alone| / rms = {error:E3}");
        Assert.That(error, Is.LessThanOrEqualTo(1e-4));
        Assert.That(BatchSchedule.RelativeError(BatchSchedule.Run(onCpu), batched, vocab), Is.Zero, "a second run on a fresh executor");
    }
}
