// A one-layer Llama step run eagerly and as a captured CUDA graph: graph replays must give bit-identical logits for every
// position, be captured once per row count, and be recaptured when the step changes; decode must agree with one prefill
// of all tokens.
using Minerva.Native.Backends.Cuda;
using Minerva.Native.Execution;
using Minerva.Native.Model;
using Minerva.Native.Tensors;

namespace Minerva.Native.Tests.Cuda;

public sealed class CudaGraphTests : CudaTestBase
{
    private const int Vocab = 50, Hidden = 64, Heads = 4, KvHeads = 2, HeadDim = 16, Ffn = 96, Ctx = 64, Cap = 16;

    private sealed class TinyModel(CudaGraphTests t, IBackend b) : IDisposable
    {
        public readonly IBackendWeight Tok = b.Load(t.Weight("tok", GgmlType.F16, Vocab, Hidden, Random(40, Vocab * Hidden), out _));
        public readonly IBackendWeight N1 = b.Load(t.Weight("n1", GgmlType.F32, 1, Hidden, Random(41, Hidden), out _));
        public readonly IBackendWeight N2 = b.Load(t.Weight("n2", GgmlType.F32, 1, Hidden, Random(42, Hidden), out _));
        public readonly IBackendWeight Wq = b.Load(t.Weight("wq", GgmlType.F16, Hidden, Hidden, Random(43, Hidden * Hidden, 0.3f), out _));
        public readonly IBackendWeight Wk = b.Load(t.Weight("wk", GgmlType.BF16, KvHeads * HeadDim, Hidden, Random(44, KvHeads * HeadDim * Hidden, 0.3f), out _));
        public readonly IBackendWeight Wv = b.Load(t.Weight("wv", GgmlType.F32, KvHeads * HeadDim, Hidden, Random(45, KvHeads * HeadDim * Hidden, 0.3f), out _));
        public readonly IBackendWeight Wo = b.Load(t.Weight("wo", GgmlType.F16, Hidden, Hidden, Random(46, Hidden * Hidden, 0.3f), out _));
        public readonly IBackendWeight Wg = b.Load(t.Weight("wg", GgmlType.F16, Ffn, Hidden, Random(47, Ffn * Hidden, 0.3f), out _));
        public readonly IBackendWeight Wu = b.Load(t.Weight("wu", GgmlType.F16, Ffn, Hidden, Random(48, Ffn * Hidden, 0.3f), out _));
        public readonly IBackendWeight Wd = b.Load(t.Weight("wd", GgmlType.F16, Hidden, Ffn, Random(49, Ffn * Hidden, 0.3f), out _));
        public readonly IBackendWeight Out = b.Load(t.Weight("out", GgmlType.F16, Vocab, Hidden, Random(50, Vocab * Hidden), out _));
        public readonly BackendTensor X = b.Allocate(Cap, Hidden), Xn = b.Allocate(Cap, Hidden), Q = b.Allocate(Cap, Hidden),
            K = b.Allocate(Cap, KvHeads * HeadDim), V = b.Allocate(Cap, KvHeads * HeadDim), Att = b.Allocate(Cap, Hidden),
            O = b.Allocate(Cap, Hidden), G = b.Allocate(Cap, Ffn), U = b.Allocate(Cap, Ffn), Last = b.Allocate(1, Hidden),
            Logits = b.Allocate(1, Vocab);
        public IKvCache Cache = b.AllocateKvCache(1, Ctx, KvHeads * HeadDim);

        public void Step(IBackend b, int rows)
        {
            foreach (var x in new[] { X, Xn, Q, K, V, Att, O, G, U }) x.Rows = rows;
            var rope = new RopeParameters(10000f, 1f, RopeLayout.Interleaved);
            b.Embed(Tok, X);
            b.RmsNorm(X, N1, 1e-5f, Xn);
            b.MatMul(Xn, Wq, Q); b.MatMul(Xn, Wk, K); b.MatMul(Xn, Wv, V);
            b.Rope(Q, Heads, HeadDim, rope); b.Rope(K, KvHeads, HeadDim, rope);
            b.StoreKv(Cache, 0, K, V);
            b.Attention(Q, Cache, 0, new AttentionShape(Heads, KvHeads, HeadDim), Att);
            b.MatMul(Att, Wo, O); b.Add(X, O);
            b.RmsNorm(X, N2, 1e-5f, Xn);
            b.MatMul(Xn, Wg, G); b.MatMul(Xn, Wu, U); b.SiluMul(G, U, G);
            b.MatMul(G, Wd, O); b.Add(X, O);
            b.CopyRows(X, rows - 1, Last, 1);
            b.MatMul(Last, Out, Logits);
        }

        public void Dispose()
        {
            foreach (var d in new IDisposable[] { Tok, N1, N2, Wq, Wk, Wv, Wo, Wg, Wu, Wd, Out, X, Xn, Q, K, V, Att, O, G, U, Last, Logits, Cache }) d.Dispose();
        }
    }

    private static readonly int[] Tokens = [3, 17, 42, 0, 49, 8, 8, 21, 30, 11, 2, 5, 44];
    private const int Prompt = 3;

    /// <summary>Prompt of <see cref="Prompt"/> tokens in one step, then one token per step; logits after each step.</summary>
    private List<float[]> Generate(TinyModel m, bool graphs)
    {
        Backend.UseGraphs = graphs;
        return Generate(Backend, m);
    }

    private static List<float[]> Generate(IBackend b, TinyModel m)
    {
        var all = new List<float[]>();
        b.SetInput(Tokens.AsSpan(0, Prompt), 0);
        b.Run(Prompt, () => m.Step(b, Prompt));
        all.Add(ReadLogits(b, m));
        for (int p = Prompt; p < Tokens.Length; p++)
        {
            b.SetInput(Tokens.AsSpan(p, 1), p);
            b.Run(1, () => m.Step(b, 1));
            all.Add(ReadLogits(b, m));
        }
        return all;
    }

    private float[] ReadLogits(TinyModel m) => ReadLogits(Backend, m);

    private static float[] ReadLogits(IBackend b, TinyModel m)
    {
        var l = new float[Vocab];
        b.ReadRow(m.Logits, 0, l);
        foreach (var v in l) if (!float.IsFinite(v)) Assert.Fail($"non-finite logit {v}");
        return l;
    }

    [Test]
    public void GraphReplayMatchesEagerStepsBitForBit()
    {
        using var m = new TinyModel(this, Backend);
        var eager = Generate(m, graphs: false);
        int captures = Backend.GraphCaptures, replays = Backend.GraphReplays;
        var graphed = Generate(m, graphs: true);
        int decodeSteps = Tokens.Length - Prompt;
        Assert.That(Backend.MaxGraphRows, Is.GreaterThanOrEqualTo(Prompt), "the prompt step runs as a graph too");
        // At most one capture per row count (the prompt's and the decode steps'): a graph left by an earlier test is
        // replayed when the allocator hands the new model the same buffers (same fingerprint); every other step replays.
        int captured = Backend.GraphCaptures - captures, replayed = Backend.GraphReplays - replays;
        Assert.That(captured, Is.LessThanOrEqualTo(2), "the prompt and the decode step should be captured at most once each");
        Assert.That(captured + replayed, Is.EqualTo(decodeSteps + 1), "every step should run as a graph (captured once, then replayed)");
        for (int s = 0; s < eager.Count; s++)
            Assert.That(graphed[s], Is.EqualTo(eager[s]), $"logits after step {s} (position {Prompt + s - 1}) differ between graph replay and eager launches");
    }

    [Test]
    public void ChangedStepIsRecaptured()
    {
        using var m = new TinyModel(this, Backend);
        Generate(m, graphs: true);
        int captures = Backend.GraphCaptures;
        // same step, different output tensor: the fingerprint changes, so the graph must not be replayed
        using var other = Backend.Allocate(1, Vocab);
        Backend.SetInput([7], Tokens.Length);
        Backend.Run(1, () => { m.Step(Backend, 1); Backend.MatMul(m.Last, m.Out, other); });
        Assert.That(Backend.GraphCaptures, Is.EqualTo(captures + 1));
        var a = new float[Vocab];
        var b = new float[Vocab];
        Backend.ReadRow(m.Logits, 0, a);
        Backend.ReadRow(other, 0, b);
        Assert.That(b, Is.EqualTo(a), "the recaptured graph computed the extra MatMul differently");
    }

    [Test]
    public void DecodeAgreesWithOnePrefillOfAllTokens()
    {
        using var m = new TinyModel(this, Backend);
        var decoded = Generate(m, graphs: true);
        // all tokens at once: prefill attention kernel and the cuBLAS path (F16-rounded activations)
        Backend.UseGraphs = true;
        Backend.SetInput(Tokens, 0);
        Backend.Run(Tokens.Length, () => m.Step(Backend, Tokens.Length));
        var prefill = ReadLogits(m);
        var last = decoded[^1];
        double max = last.Max(Math.Abs);
        AssertClose("last-token logits: prefill of all tokens vs prompt + decode steps", last, prefill, _ => 2e-2 * max);
    }

    [Test]
    public void GpuStepsAgreeWithTheCpuBackend()
    {
        using var cpu = new Minerva.Native.Backends.Cpu.CpuBackend(1);
        using var onCpu = new TinyModel(this, cpu);
        using var onGpu = new TinyModel(this, Backend);
        var expected = Generate(cpu, onCpu);
        var actual = Generate(onGpu, graphs: true);
        for (int s = 0; s < expected.Count; s++)
        {
            double max = expected[s].Max(Math.Abs);
            // same F16 weights and KV cache on both; only summation order and transcendental ulps differ
            AssertClose($"logits after step {s}: CUDA vs CPU backend", expected[s], actual[s], _ => 1e-3 * max + 1e-5);
        }
    }
}
