// The CPU backend (the GPU's reference) on steps whose rows belong to many sequences: StoreKv, Attention and RoPE against
// the scalar references of RowsScenario, which CudaRowsTests holds the GPU to as well.
using Minerva.Native.Backends.Cpu;
using Minerva.Native.Execution;
using Minerva.Native.Tensors;
using Minerva.Native.Tests.Cuda;

namespace Minerva.Native.Tests.Cpu;

public unsafe class CpuBackendRowsTests
{
    internal static BackendTensor Tensor(CpuBackend cpu, int rows, int cols, float[] data)
    {
        var t = (CpuTensor)cpu.Allocate(rows, cols);
        data.AsSpan(0, rows * cols).CopyTo(new Span<float>(t.Data, rows * cols));
        t.Rows = rows;
        return t;
    }

    internal static float[] Read(BackendTensor t, int rows) => new Span<float>(((CpuTensor)t).Data, rows * t.Cols).ToArray();

    /// <summary>A CPU cache of the scenario's pool, filled through StoreKv steps of interleaved rows.</summary>
    internal static CpuKvCache Filled(CpuBackend cpu, RowsScenario s, int rowsPerStep)
    {
        var cache = (CpuKvCache)cpu.AllocateKvCache(RowsScenario.Layers, s.Sequences, s.Ctx, s.KvDim);
        s.Fill(cpu, cache, (rows, cols, data) => Tensor(cpu, rows, cols, data), rowsPerStep);
        return cache;
    }

    [Test]
    public void StoreKvWritesEachRowAtItsSequenceAndPosition()
    {
        var s = new RowsScenario(ctx: 40, kvDim: 24, filled: [3, 40, 0, 17, 1], seed: 1);
        using var cpu = new CpuBackend(threads: 2);
        using var cache = Filled(cpu, s, rowsPerStep: 7);
        for (int seq = 0; seq < s.Sequences; seq++)
        for (int pos = 0; pos < s.Filled[seq]; pos++)
        {
            var k = new ReadOnlySpan<ushort>(cache.K(RowsScenario.Layer, seq, pos), s.KvDim);
            var v = new ReadOnlySpan<ushort>(cache.V(RowsScenario.Layer, seq, pos), s.KvDim);
            for (int c = 0; c < s.KvDim; c++)
            {
                Assert.That((float)BitConverter.UInt16BitsToHalf(k[c]), Is.EqualTo(s.K[s.At(seq, pos) + c]), $"K of sequence {seq}, position {pos}");
                Assert.That((float)BitConverter.UInt16BitsToHalf(v[c]), Is.EqualTo(s.V[s.At(seq, pos) + c]), $"V of sequence {seq}, position {pos}");
            }
        }
    }

    // The row sets, shapes and windows of the GPU test (CudaRowsTests). The CPU rounds the softmax weights to F16 before
    // P·V (ggml): |error| <= 2^-11 * max|v| = 4.9e-4 for |v| <= 1.
    [TestCaseSource(typeof(CudaRowsTests), nameof(CudaRowsTests.AttentionCases))]
    public void AttentionOfRowsOfManySequences(int heads, int kvHeads, int headDim, int set, int window)
    {
        var (name, seq, pos) = CudaRowsTests.RowSets[set];
        var s = new RowsScenario(ctx: 300, kvDim: kvHeads * headDim, filled: CudaRowsTests.Lengths, seed: 2);
        var shape = new AttentionShape(heads, kvHeads, headDim, window);
        using var cpu = new CpuBackend(threads: 2);
        using var cache = Filled(cpu, s, rowsPerStep: 61);
        int qDim = heads * headDim;
        var q = RowsScenarioInput(seq.Length * qDim, 3);
        using var qt = Tensor(cpu, seq.Length, qDim, q);
        using var ot = cpu.Allocate(seq.Length, qDim);
        cpu.SetInput(new int[seq.Length], pos, seq);
        cpu.Attention(qt, cache, RowsScenario.Layer, shape, ot);
        var expected = s.Attention(q, seq, pos, shape);
        var actual = Read(ot, seq.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.That(actual[i], Is.EqualTo(expected[i]).Within(1e-3), $"{name}: row {i / qDim}, element {i % qDim}");
    }

    [Test]
    public void RopeTurnsEachRowByItsOwnPosition()
    {
        const int heads = 3, headDim = 64, cols = heads * headDim;
        int[] pos = [0, 4095, 17, 300, 1, 2, 1000];
        var rope = new RopeParameters(10000f, 1f, RopeLayout.HalfSplit);
        var x = RowsScenarioInput(pos.Length * cols, 4);
        using var cpu = new CpuBackend(threads: 2);
        using var t = Tensor(cpu, pos.Length, cols, x);
        cpu.SetInput(new int[pos.Length], pos, [3, 1, 4, 1, 5, 9, 2]);
        cpu.Rope(t, heads, headDim, rope);
        var expected = RowsScenario.Rope(x, pos, heads, headDim, rope);
        var actual = Read(t, pos.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.That(actual[i], Is.EqualTo(expected[i]).Within(RopeBound(pos[i / cols], i % headDim % (headDim / 2))), $"row {i / cols}, element {i % cols}");
    }

    /// <summary>The CPU's RoPE error (theta accumulated in FP32: p * (pair + 4) * 1.8e-7, RopeTests) plus the GPU's
    /// (float angles of up to ~4096 rad: 2e-3), for |x| <= 1.</summary>
    internal static double RopeBound(int position, int pair) => 2e-3 + 1e-6 + position * (pair + 4) * 1.8e-7;

    internal static float[] RowsScenarioInput(int n, int seed)
    {
        var rng = new Random(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        return v;
    }
}
