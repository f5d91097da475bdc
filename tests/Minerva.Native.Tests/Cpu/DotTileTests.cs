// DotTile against Dot per (row, token), bit for bit: lengths 0..257 and around the column blocks, 0..5 rows, 0..9 tokens,
// strides wider than a row, and every output outside the tile left untouched.
using Minerva.Native.Backends.Cpu.Kernels;
using Minerva.Native.Tensors;

namespace Minerva.Native.Tests.Cpu;

public unsafe class DotTileTests
{
    private static readonly int[] LongLengths = [1023, 1024, 1025, 1040, 1087, 1088, 2048, 2064, 2071, 5632];

    [Test]
    public void MatchesDotBitForBit([Values(GgmlType.F32, GgmlType.F16, GgmlType.BF16)] GgmlType type)
    {
        var rng = new Random(21);
        foreach (int n in Enumerable.Range(0, 258).Concat(LongLengths))
            Assert.That(Mismatches(rng, type, n, 5, 9, everyShape: true), Is.Empty, $"{type} n={n}");
    }

    [Test]
    public void GroupsOfRowsAndTokensMatchDot([Values(GgmlType.F32, GgmlType.F16, GgmlType.BF16)] GgmlType type)
    {
        var rng = new Random(22);
        foreach (int n in new[] { 1, 15, 16, 100, 1001, 2064 })
            foreach (var (rows, tokens) in new[] { (37, 17), (16, 8), (33, 9), (64, 8), (1, 24) })
                Assert.That(Mismatches(rng, type, n, rows, tokens, everyShape: false), Is.Empty, $"{type} n={n} {rows}x{tokens}");
    }

    /// <summary>Runs DotTile on random data for every rows x tokens up to the given ones (or just that one) and lists what differs from
    /// Dot: a (row, token) whose bits differ, a written slot outside the tile, or a broken guard.</summary>
    internal static List<string> Mismatches(Random rng, GgmlType type, int n, int maxRows, int maxTokens, bool everyShape)
    {
        long wRow = n + 3, xStride = n + 5, oStride = maxRows + 2;
        uint sentinel = 0x7fc0_1234;
        using var wf = CpuTestData.Floats(rng, maxRows * wRow);
        using var wh = CpuTestData.Halves(rng, maxRows * wRow);
        using var wb = CpuTestData.BFloats(rng, maxRows * wRow);
        using var x = CpuTestData.Floats(rng, maxTokens * xStride);
        using var output = new NativeArray<float>(maxTokens * oStride);
        var bad = new List<string>();
        for (int rows = everyShape ? 0 : maxRows; rows <= maxRows; rows++)
            for (int tokens = everyShape ? 0 : maxTokens; tokens <= maxTokens; tokens++)
            {
                output.Span.Fill(BitConverter.UInt32BitsToSingle(sentinel));
                switch (type)
                {
                    case GgmlType.F32: DotTile.F32(wf.Pointer, wRow, rows, x.Pointer, xStride, tokens, n, output.Pointer, oStride); break;
                    case GgmlType.F16: DotTile.F16(wh.Pointer, wRow, rows, x.Pointer, xStride, tokens, n, output.Pointer, oStride); break;
                    default: DotTile.BF16(wb.Pointer, wRow, rows, x.Pointer, xStride, tokens, n, output.Pointer, oStride); break;
                }
                for (int t = 0; t < maxTokens; t++)
                    for (int r = 0; r < oStride; r++)
                    {
                        uint got = BitConverter.SingleToUInt32Bits(output[t * oStride + r]);
                        if (r >= rows || t >= tokens)
                        {
                            if (got != sentinel) bad.Add($"{rows}x{tokens}: wrote outside the tile at row {r}, token {t}");
                            continue;
                        }
                        float* xt = x.Pointer + t * xStride;
                        float expected = type switch
                        {
                            GgmlType.F32 => Dot.F32(wf.Pointer + r * wRow, xt, n),
                            GgmlType.F16 => Dot.F16(wh.Pointer + r * wRow, xt, n),
                            _ => Dot.BF16(wb.Pointer + r * wRow, xt, n),
                        };
                        if (got != BitConverter.SingleToUInt32Bits(expected))
                            bad.Add($"{rows}x{tokens}: row {r}, token {t}: {BitConverter.UInt32BitsToSingle(got):R} != {expected:R}");
                    }
                if (!output.GuardsIntact()) bad.Add($"{rows}x{tokens}: output guards broken");
            }
        return bad;
    }
}
