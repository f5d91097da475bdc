// Host-side logic of steps made of rows of many sequences, without a GPU: the step buffer layout (and that common.cuh
// reads the same one), the choice between the decode and prefill attention kernels and their launch shapes, the MatMul
// path of a few rows (one weight read for up to 8).
using System.Text.RegularExpressions;
using Minerva.Native.Backends.Cuda;
using Minerva.Native.Tensors;

namespace Minerva.Native.Tests.Cuda;

public sealed class CudaRowsNoGpuTests
{
    [Test]
    public void StepBufferHoldsTheRowCountThenTokenPositionSequenceOfEachRow()
    {
        int[] tokens = [5, 9, 2, 7], positions = [0, 300, 301, 17], sequences = [3, 0, 0, 6];
        var step = new int[StepLayout.Ints(tokens.Length) + 2];
        Array.Fill(step, -99);
        int n = StepLayout.Write(step, tokens, positions, sequences);
        Assert.That(n, Is.EqualTo(1 + 3 * tokens.Length));
        Assert.That(step, Is.EqualTo(new[] { 4, 5, 0, 3, 9, 300, 0, 2, 301, 0, 7, 17, 6, -99, -99 }));
    }

    [Test]
    public void StepBufferRefusesMismatchedEmptyOrNegativeRows()
    {
        var step = new int[64];
        Assert.Throws<ArgumentException>(() => StepLayout.Write(step, [1, 2], [0], [0, 0]));
        Assert.Throws<ArgumentException>(() => StepLayout.Write(step, [1, 2], [0, 1], [0]));
        Assert.Throws<ArgumentException>(() => StepLayout.Write(step, [], [], []));
        Assert.Throws<ArgumentOutOfRangeException>(() => StepLayout.Write(step, [1], [-1], [0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => StepLayout.Write(step, [1], [0], [-2]));
        Assert.Throws<ArgumentException>(() => StepLayout.Write(new int[6], [1, 2], [0, 1], [0, 0]), "7 ints do not fit 6");
    }

    [Test]
    public void KernelsReadTheStepBufferAsTheHostWritesIt()
    {
        string header = Path.Combine(TestPaths.RepoRoot, "kernels", "common.cuh");
        if (!File.Exists(header)) Assert.Ignore($"no kernel sources at {header}");
        string text = File.ReadAllText(header);
        int Define(string name)
        {
            var m = Regex.Match(text, $@"#define\s+{name}\s+(\d+)");
            Assert.That(m.Success, $"common.cuh defines no {name}");
            return int.Parse(m.Groups[1].Value);
        }
        Assert.That(Define("STEP_ROW_COUNT"), Is.EqualTo(StepLayout.RowCount));
        Assert.That(Define("STEP_ROWS"), Is.EqualTo(StepLayout.Rows));
        Assert.That(Define("STEP_ROW_INTS"), Is.EqualTo(StepLayout.RowInts));
        // token, position and sequence at offsets 0, 1, 2 of a row
        string Accessor(string name) => Regex.Match(text, $@"int {name}\(const int\* step, int row\) \{{ return (step\[[^\]]*\]); \}}").Groups[1].Value;
        Assert.That(Accessor("step_token"), Is.EqualTo("step[STEP_ROWS + STEP_ROW_INTS * row]"));
        Assert.That(Accessor("step_pos"), Is.EqualTo("step[STEP_ROWS + STEP_ROW_INTS * row + 1]"));
        Assert.That(Accessor("step_seq"), Is.EqualTo("step[STEP_ROWS + STEP_ROW_INTS * row + 2]"));
        foreach (var source in Directory.GetFiles(Path.GetDirectoryName(header)!, "*.cu"))
            Assert.That(File.ReadAllText(source), Does.Not.Contain("STEP_START_POS").And.Not.Contain("STEP_TOKENS"),
                $"{Path.GetFileName(source)} reads the step buffer of one sequence's consecutive positions");
    }

    // One row always decodes (the split-K kernels); up to DecodeRowLimit rows while their partials fit; then prefill.
    [TestCase(1, 32, 128, 131072, true)]
    [TestCase(2, 32, 128, 4096, true)]
    [TestCase(8, 32, 128, 4096, true)]
    [TestCase(9, 32, 128, 4096, false)]
    [TestCase(40, 4, 64, 64, false)]
    [TestCase(3, 32, 128, 131072, false)]   // 4 rows x 32 heads x 1024 splits x 130 floats > 64 MiB
    [TestCase(2, 32, 128, 131072, true)]
    [TestCase(8, 64, 256, 16384, false)]
    public void DecodeKernelsServeFewRowsWhosePartialsFit(int rows, int heads, int headDim, int ctx, bool decode)
    {
        Assert.That(AttentionLaunch.UsesDecode(rows, heads, headDim, ctx), Is.EqualTo(decode));
        if (decode && rows > 1)
            Assert.That(AttentionLaunch.PartialFloats(AttentionLaunch.PartialRows(rows), heads, headDim, ctx), Is.LessThanOrEqualTo(AttentionLaunch.MaxPartialFloats));
    }

    [Test]
    public void PartialBufferGrowsInPowersOfTwoOfRowsUpToTheDecodeLimit()
    {
        int[] expected = [1, 2, 4, 4, 8, 8, 8, 8];
        for (int rows = 1; rows <= AttentionLaunch.DecodeRowLimit; rows++)
        {
            Assert.That(AttentionLaunch.PartialRows(rows), Is.EqualTo(expected[rows - 1]));
            Assert.That(AttentionLaunch.PartialRows(rows), Is.LessThanOrEqualTo(AttentionLaunch.DecodeRowLimit));
        }
    }

    [TestCase(1, 4, 64)]
    [TestCase(7, 32, 4096)]
    [TestCase(8, 8, 300)]
    public void DecodeGridCoversEveryRowHeadAndSplit(int rows, int heads, int ctx)
    {
        var (g, b) = AttentionLaunch.DecodeShape(rows, heads, ctx);
        Assert.That((g.X, g.Y, g.Z), Is.EqualTo(((uint)heads, (uint)AttentionLaunch.SplitCount(ctx), (uint)rows)));
        Assert.That(b.X, Is.EqualTo((uint)AttentionLaunch.Threads));
        (g, _) = AttentionLaunch.CombineShape(rows, heads);
        Assert.That((g.X, g.Y, g.Z), Is.EqualTo(((uint)heads, (uint)rows, 1u)), "combine: grid.x must be the heads (the kernel's row stride)");
        (g, _) = AttentionLaunch.PrefillShape(rows, heads);
        Assert.That((g.X, g.Y, g.Z), Is.EqualTo(((uint)heads, (uint)rows, 1u)));
    }

    [TestCase(GgmlType.F16, 1, "MatVec")]
    [TestCase(GgmlType.F16, 2, "MatVec8")]
    [TestCase(GgmlType.BF16, 8, "MatVec8")]
    [TestCase(GgmlType.F32, 8, "MatVec8")]
    [TestCase(GgmlType.F16, 9, "Gemm")]
    [TestCase(GgmlType.F32, 512, "Gemm")]
    [TestCase(GgmlType.Q4_0, 1, "MatVec")]
    [TestCase(GgmlType.Q4_K, 5, "MatVec8")]
    [TestCase(GgmlType.Q6_K, 32, "MatVec8")]
    [TestCase(GgmlType.Q8_0, 33, "Gemm")]
    public void FewRowsReadTheWeightsOncePerEightRows(GgmlType type, int rows, string path) =>
        Assert.That(MatMulLaunch.Path(type, rows).ToString(), Is.EqualTo(path));

    [TestCase(1)]
    [TestCase(7)]
    [TestCase(8)]
    [TestCase(9)]
    [TestCase(32)]
    public void MatVec8ChunksCoverTheRowsInOrder(int rows)
    {
        var chunks = MatMulLaunch.MatVec8Chunks(rows).ToList();
        Assert.That(chunks, Has.Count.EqualTo((rows + 7) / 8));
        int next = 0;
        foreach (var (first, count) in chunks)
        {
            Assert.That(first, Is.EqualTo(next));
            Assert.That(count, Is.InRange(1, MatMulLaunch.MatVecMaxRows));
            next = first + count;
        }
        Assert.That(next, Is.EqualTo(rows));
    }

    [Test]
    public void MatVec8KernelsHoldAsManyRowsAsTheLauncherPasses()
    {
        string dir = Path.Combine(TestPaths.RepoRoot, "kernels");
        if (!Directory.Exists(dir)) Assert.Ignore($"no kernel sources at {dir}");
        foreach (var module in new[] { "matvec_q.cu", "matvec_f16.cu" })
            Assert.That(File.ReadAllText(Path.Combine(dir, module)), Does.Match($@"#define MATVEC_MAX_X {MatMulLaunch.MatVecMaxRows}\b"), module);
    }

    [Test]
    public void GpuRowSetsMixThreeToEightSequencesAndTakeBothAttentionPaths()
    {
        var rows = CudaRowsTests.RowSets.Select(r => r.Seq.Length).ToArray();
        foreach (var (heads, headDim) in new[] { (8, 64), (4, 128), (4, 36), (2, 256) })
        {
            Assert.That(rows.Count(n => AttentionLaunch.UsesDecode(n, heads, headDim, 300)), Is.EqualTo(4), "decode kernels");
            Assert.That(rows.Count(n => !AttentionLaunch.UsesDecode(n, heads, headDim, 300)), Is.EqualTo(2), "prefill kernel");
        }
        foreach (var (name, seq, pos) in CudaRowsTests.RowSets)
        {
            Assert.That(pos, Has.Length.EqualTo(seq.Length), name);
            Assert.That(seq.Distinct().Count(), Is.InRange(3, 8), $"{name}: rows of 3..8 sequences");
            for (int r = 0; r < seq.Length; r++)
                Assert.That(pos[r], Is.LessThan(CudaRowsTests.Lengths[seq[r]]), $"{name} row {r}: the query's own key must be filled");
        }
    }
}
