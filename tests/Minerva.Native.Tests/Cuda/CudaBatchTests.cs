// The whole model on the GPU with continuous batching (Model/BatchSchedule: a prompt in chunks beside decode rows of other
// sequences, then decode steps of 4 and 3 rows): each sequence gets the logits it gets alone on the GPU and those of the
// CPU backend running the same steps, with graphs on and off (bit-identical), and the decode steps replay one graph per
// row count.
using Minerva.Native.Backends.Cpu;
using Minerva.Native.Backends.Cuda;
using Minerva.Native.Execution;
using Minerva.Native.Model;
using Minerva.Native.Tensors;
using Minerva.Native.Tests.Model;

namespace Minerva.Native.Tests.Cuda;

[Category("Gpu")]
public class CudaBatchTests
{
    [OneTimeSetUp]
    public void RequireGpu()
    {
        var probe = CudaDevice.Probe();
        if (!probe.IsAvailable) Assert.Ignore($"no CUDA GPU: {probe.Reason}");
    }

    // Bounds on max |a − b| / rms(b) as CudaModelTests / CudaArchitectureTests for F32 and F16 weights (2e-2): the batched
    // steps take other kernels than one sequence alone (prefill attention and cuBLAS for the prompt steps, matvec8 and
    // multi-row decode attention for the decode steps).
    [TestCase("tiny", GgmlType.F32)]
    [TestCase("tiny", GgmlType.F16)]
    [TestCase("window-40", GgmlType.F32)]
    [TestCase("qwen2", GgmlType.F16)]
    public void MixedStepsGiveEachSequenceTheLogitsItGetsAlone(string variant, GgmlType type)
    {
        LlamaConfig config = ModelPreset.Tiny;
        float[]? freqs = null;
        if (variant != "tiny") (config, freqs, _) = CudaArchitectureTests.Variant(variant);
        using var model = new InMemoryModel(config, type, freqs);
        int vocab = config.VocabSize;
        Dictionary<(int Seq, int Pos), float[]> cpu;
        using (var backend = new CpuBackend(threads: 2))
        using (var onCpu = new BackendModel(backend, model.Config, model.Weights))
            cpu = BatchSchedule.Run(onCpu);

        using var gpu = CudaBackend.Create();
        var alone = Enumerable.Range(0, BatchSchedule.Sequences)
            .Select(s => model.Logits(gpu, BatchSchedule.Tokens(s, vocab), decode: true, BatchSchedule.Context)).ToArray();
        using var onGpu = new BackendModel(gpu, model.Config, model.Weights);
        var runs = new Dictionary<bool, Dictionary<(int Seq, int Pos), float[]>>();
        foreach (bool graphs in new[] { false, true })
        {
            gpu.UseGraphs = graphs;
            // counts[i] = (captures, replays) before step i; counts[^1] after the last
            var counts = new (int Captures, int Replays)[BatchSchedule.Steps.Length + 1];
            counts[0] = (gpu.GraphCaptures, gpu.GraphReplays);
            var batched = BatchSchedule.Run(onGpu, i => counts[i + 1] = (gpu.GraphCaptures, gpu.GraphReplays));
            string what = $"{variant} {type} graphs {(graphs ? "on" : "off")}";
            Compare($"{what}: batched vs each sequence alone on the GPU", BatchSchedule.RelativeError(batched, alone, vocab), 2e-2);
            Compare($"{what}: GPU vs CPU backend on the same steps", BatchSchedule.RelativeError(batched, cpu, vocab), 2e-2);
            if (graphs) CheckGraphs(counts);
            else Assert.That(counts[^1], Is.EqualTo(counts[0]), "graphs off: nothing captured or replayed");
            runs[graphs] = batched;
        }
        Assert.That(runs[true].Keys, Is.EquivalentTo(runs[false].Keys));
        foreach (var (key, eager) in runs[false])
            Assert.That(runs[true][key], Is.EqualTo(eager), $"sequence {key.Seq}, position {key.Pos}: graph replay and eager launches differ");
    }

    /// <summary>The prompt steps (more rows than MaxGraphRows) run eagerly; each run of decode steps of one row count is
    /// captured at most once and then replayed; the last 4-row step replays the graph of the first ones after 3-row steps.</summary>
    private static void CheckGraphs((int Captures, int Replays)[] counts)
    {
        (int Captures, int Replays) Delta(int first, int steps) =>
            (counts[first + steps].Captures - counts[first].Captures, counts[first + steps].Replays - counts[first].Replays);
        Assert.That(Delta(0, BatchSchedule.FirstDecode4), Is.EqualTo((0, 0)), "prompt steps of more than 8 rows run eagerly");
        var four = Delta(BatchSchedule.FirstDecode4, BatchSchedule.Decode4Steps);
        Assert.That(four.Captures + four.Replays, Is.EqualTo(BatchSchedule.Decode4Steps), "every 4-row decode step runs as a graph");
        Assert.That(four.Replays, Is.GreaterThanOrEqualTo(BatchSchedule.Decode4Steps - 1), "4-row decode steps replay one graph");
        var three = Delta(BatchSchedule.FirstDecode3, BatchSchedule.Decode3Steps);
        Assert.That(three.Captures + three.Replays, Is.EqualTo(BatchSchedule.Decode3Steps), "every 3-row decode step runs as a graph");
        Assert.That(three.Replays, Is.GreaterThanOrEqualTo(BatchSchedule.Decode3Steps - 1), "3-row decode steps replay one graph");
        Assert.That(Delta(BatchSchedule.LastDecode4, 1), Is.EqualTo((0, 1)), "the 4-row graph survives the 3-row steps and replays");
    }

    private static void Compare(string what, double error, double bound)
    {
        TestContext.Out.WriteLine($"{what}: max |a − b| / rms = {error:E3}");
        Assert.That(error, Is.LessThanOrEqualTo(bound), what);
    }
}
