// RoPE, StoreKv and Attention on the GPU for steps whose rows belong to 3..8 different sequences at their own positions,
// against the scalar references of RowsScenario and against the CPU backend given the same rows.
using Minerva.Native.Backends.Cpu;
using Minerva.Native.Backends.Cuda;
using Minerva.Native.Execution;
using Minerva.Native.Tensors;
using Minerva.Native.Tests.Cpu;

namespace Minerva.Native.Tests.Cuda;

public sealed class CudaRowsTests : CudaTestBase
{
    private const ushort PoisonF16 = 0xFBFF; // -65504: what unwritten cache slots must still hold

    /// <summary>A GPU cache of the scenario's pool, poisoned, then filled through StoreKv steps of interleaved rows.</summary>
    private CudaKvCache Filled(RowsScenario s, int rowsPerStep)
    {
        var cache = (CudaKvCache)Backend.AllocateKvCache(RowsScenario.Layers, s.Sequences, s.Ctx, s.KvDim);
        var poison = new ushort[(long)RowsScenario.Layers * s.Sequences * s.Ctx * s.KvDim];
        Array.Fill(poison, PoisonF16);
        cache.K.Upload<ushort>(poison);
        cache.V.Upload<ushort>(poison);
        s.Fill(Backend, cache, (rows, cols, data) => Tensor(rows, cols, rows, data), rowsPerStep);
        return cache;
    }

    [TestCase(64, 7)]
    [TestCase(36, 1)]
    [TestCase(128, 64)]
    public void StoreKvWritesEachRowAtItsSequenceAndPosition(int kvDim, int rowsPerStep)
    {
        var s = new RowsScenario(ctx: 150, kvDim: kvDim, filled: [3, 150, 0, 17, 1, 129], seed: 40);
        using var cache = Filled(s, rowsPerStep);
        using var cpu = new CpuBackend(threads: 2);
        using var cpuCache = CpuBackendRowsTests.Filled(cpu, s, rowsPerStep);
        Backend.Synchronize();
        foreach (var (name, buffer, expected) in new[] { ("K", cache.K, s.K), ("V", cache.V, s.V) })
        {
            var all = new ushort[(long)RowsScenario.Layers * s.Sequences * s.Ctx * kvDim];
            buffer.Download<ushort>(all);
            long layer = (long)s.Sequences * s.Ctx * kvDim;
            for (long i = 0; i < all.Length; i++)
            {
                int seq = (int)(i % layer / ((long)s.Ctx * kvDim)), pos = (int)(i % layer / kvDim % s.Ctx), c = (int)(i % kvDim);
                bool written = i / layer == RowsScenario.Layer && pos < s.Filled[seq];
                if (!written)
                {
                    if (all[i] != PoisonF16) Assert.Fail($"{name} layer {i / layer}, sequence {seq}, position {pos}, column {c} was written");
                    continue;
                }
                float got = (float)BitConverter.UInt16BitsToHalf(all[i]);
                if (got != expected[s.At(seq, pos) + c]) Assert.Fail($"{name} of sequence {seq}, position {pos}, column {c}: expected {expected[s.At(seq, pos) + c]}, got {got}");
                ushort onCpu = ReadCpu(cpuCache, name, seq, pos, c);
                if (all[i] != onCpu) Assert.Fail($"{name} of sequence {seq}, position {pos}, column {c}: GPU bits {all[i]:X4}, CPU bits {onCpu:X4}");
            }
        }
    }

    private static unsafe ushort ReadCpu(CpuKvCache c, string name, int seq, int pos, int col) =>
        (name == "K" ? c.K(RowsScenario.Layer, seq, pos) : c.V(RowsScenario.Layer, seq, pos))[col];

    // Pool of 7 sequences, context 300 (3 decode splits of 128): lengths ending inside, on and just past split boundaries.
    internal static readonly int[] Lengths = [1, 129, 300, 57, 256, 200, 128];

    // Rows (sequence, position): one decode row per sequence in shuffled order (3, 5, 7, 8 rows: the decode kernels), then
    // the end of a prompt chunk of one sequence plus decode rows of others (11 and 14 rows: the prefill kernel), and rows
    // that are not the last of their sequence.
    internal static readonly (string Name, int[] Seq, int[] Pos)[] RowSets =
    [
        ("3 decode rows", [2, 0, 5], [299, 0, 199]),
        ("5 decode rows", [6, 1, 4, 3, 2], [127, 128, 255, 56, 299]),
        ("7 decode rows", [5, 3, 6, 0, 2, 4, 1], [199, 56, 127, 0, 299, 255, 128]),
        ("8 rows", [1, 1, 2, 4, 0, 6, 3, 5], [127, 128, 10, 254, 0, 126, 56, 150]),
        ("chunk + 3 decode rows", [4, 2, 2, 2, 2, 2, 2, 2, 2, 6, 1], [255, 292, 293, 294, 295, 296, 297, 298, 299, 127, 128]),
        ("2 chunks + decode rows", [0, 5, 5, 5, 5, 5, 5, 3, 4, 4, 4, 4, 4, 1], [0, 120, 121, 122, 123, 124, 125, 40, 250, 251, 252, 253, 254, 100]),
    ];

    public static IEnumerable<object[]> AttentionCases()
    {
        foreach (var (heads, kvHeads, headDim) in new[] { (8, 2, 64), (4, 4, 128), (4, 2, 36), (2, 1, 256) })
        for (int set = 0; set < RowSets.Length; set++)
        foreach (int window in new[] { 0, 100, 128, 1, 5000 })
            if (window == 0 || headDim == 64 || set == 2 || set == 4)
                yield return [heads, kvHeads, headDim, set, window];
    }

    // GPU vs the double reference: FP32 softmax and accumulation over up to 300 keys with |v| <= 1 stay within 2e-5 (as
    // CudaAttentionTests). GPU vs the CPU backend: the CPU rounds the softmax weights to F16, 2^-11 * max|v| < 1e-3.
    [TestCaseSource(nameof(AttentionCases))]
    public void AttentionOfRowsOfManySequences(int heads, int kvHeads, int headDim, int set, int window)
    {
        var (name, seq, pos) = RowSets[set];
        var shape = new AttentionShape(heads, kvHeads, headDim, window);
        var s = new RowsScenario(ctx: 300, kvDim: kvHeads * headDim, filled: Lengths, seed: 41);
        using var cache = Filled(s, rowsPerStep: 97);
        int rows = seq.Length, qDim = heads * headDim;
        var q = Random(42, rows * qDim, 2f);
        using var qt = Tensor(rows, qDim, rows, q);
        using var ot = Tensor(rows + 2, qDim, rows);
        Backend.SetInput(new int[rows], pos, seq);
        Backend.Attention(qt, cache, RowsScenario.Layer, shape, ot);
        var actual = Download(ot);
        string path = AttentionLaunch.UsesDecode(rows, heads, headDim, s.Ctx) ? "decode" : "prefill";
        string what = $"attention {name} ({path}) heads {heads}/{kvHeads} d {headDim} window {window}";
        AssertClose(what, s.Attention(q, seq, pos, shape), actual, _ => 2e-5);
        AssertGuard(what, ot, rows);

        using var cpu = new CpuBackend(threads: 2);
        using var cpuCache = CpuBackendRowsTests.Filled(cpu, s, rowsPerStep: 97);
        using var cq = CpuBackendRowsTests.Tensor(cpu, rows, qDim, q);
        using var co = cpu.Allocate(rows, qDim);
        cpu.SetInput(new int[rows], pos, seq);
        cpu.Attention(cq, cpuCache, RowsScenario.Layer, shape, co);
        AssertClose(what + " vs CPU backend", CpuBackendRowsTests.Read(co, rows), actual, _ => 1e-3);
    }

    [TestCase(RopeLayout.Interleaved, 4, 64)]
    [TestCase(RopeLayout.HalfSplit, 3, 128)]
    public void RopeTurnsEachRowByItsOwnPosition(RopeLayout layout, int heads, int headDim)
    {
        int cols = heads * headDim;
        int[] pos = [0, 4095, 17, 300, 1, 2, 1000], seq = [3, 1, 4, 1, 5, 0, 2];
        var rope = new RopeParameters(10000f, 1f, layout);
        var x = Random(43, pos.Length * cols);
        using var t = Tensor(pos.Length + 1, cols, pos.Length, x);
        Backend.SetInput(new int[pos.Length], pos, seq);
        Backend.Rope(t, heads, headDim, rope);
        var actual = Download(t);
        string what = $"rope {layout} heads {heads} d {headDim} at positions {string.Join(",", pos)}";
        // float angles of up to ~4096 rad (CudaOpTests.Rope)
        AssertClose(what, RowsScenario.Rope(x, pos, heads, headDim, rope), actual, _ => 2e-3);
        AssertGuard(what, t, pos.Length);

        using var cpu = new CpuBackend(threads: 2);
        using var ct = CpuBackendRowsTests.Tensor(cpu, pos.Length, cols, x);
        cpu.SetInput(new int[pos.Length], pos, seq);
        cpu.Rope(ct, heads, headDim, rope);
        int Pair(int e) => layout == RopeLayout.HalfSplit ? e % headDim % (headDim / 2) : e % headDim / 2;
        AssertClose(what + " vs CPU backend", CpuBackendRowsTests.Read(ct, pos.Length), actual, e => CpuBackendRowsTests.RopeBound(pos[e / cols], Pair(e)));
    }

    [Test]
    public void SetInputRefusesRowsOutsideTheCachePool()
    {
        using var cache = Backend.AllocateKvCache(1, 3, 16, 8);
        Assert.Throws<ArgumentOutOfRangeException>(() => Backend.SetInput([1, 2], [0, 1], [0, 3]), "sequence 3 of 3");
        Assert.Throws<ArgumentOutOfRangeException>(() => Backend.SetInput([1, 2], [0, 16], [0, 2]), "position 16 of 16");
        Assert.Throws<ArgumentException>(() => Backend.SetInput([1, 2], [0], [0, 0]));
        Assert.DoesNotThrow(() => Backend.SetInput([1, 2, 3], [15, 0, 7], [2, 0, 2]));
    }
}
